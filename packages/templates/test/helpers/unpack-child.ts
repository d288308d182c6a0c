// Runs unpackLayers in a child process (the rootless test starts it as another user) and prints
// the outcome as JSON.
import { unpackLayers } from '../../src/unpack/unpack.ts';

const [layers, dest, tmpDir] = JSON.parse(process.argv[2]!) as [
  { path: string; digest: string }[],
  string,
  string,
];
try {
  const stats = await unpackLayers(layers, dest, { tmpDir });
  console.log(JSON.stringify({ ok: true, stats }));
} catch (err) {
  console.log(
    JSON.stringify({
      ok: false,
      code: (err as { code?: string }).code,
      message: (err as Error).message,
    }),
  );
}
