import { type ImageInfo, openStore, type Store, TemplateError } from '@sbx/templates';
import { imageOwnerShift, type TemplateSource } from '@sbx/vm';

let store: Store | undefined;

/**
 * The root filesystem a template names: `host` is the built-in host template; anything else
 * an image from the store (`DOCKER_CONFIG/sandboxes/image-cache`), pulled from its registry
 * when missing, or loaded from the local Docker Engine with `--load-local-template`.
 */
export async function resolveTemplate(
  ref: string,
  local: boolean,
  log: (message: string) => void,
): Promise<{ source: TemplateSource; digest: string | null }> {
  if (ref === 'host') return { source: { type: 'host' }, digest: null };
  // As root, sandboxes run on an unprivileged id range: image owners are shifted onto it so
  // the image's root is the sandbox's root (undefined, no shift, otherwise).
  store ??= openStore({ ownerShift: imageOwnerShift() });
  let image: ImageInfo;
  if (local) {
    log(`loading template ${ref} from the local Docker Engine`);
    image = await store.loadFromDocker(ref);
  } else {
    try {
      image = await store.resolve(ref);
    } catch (error) {
      if (!(error instanceof TemplateError) || error.code !== 'SBX_TEMPLATES_NOT_FOUND')
        throw error;
      log(`pulling template ${ref}`);
      image = await store.pull(ref);
    }
  }
  const env: Record<string, string> = {};
  for (const entry of image.config.Env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { source: { type: 'image', rootfs: image.rootfs, env }, digest: image.digest };
}
