import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Server, type Socket } from 'node:net';
import { VmError } from '../errors.ts';
import { type InitRef, openHandles } from './handles.ts';
import { HOST_PATH } from './host-path.ts';
import { sealStdio } from './procfs.ts';

/** Port the proxy answers on inside every sandbox (`host.docker.internal:3128`). */
export const PROXY_PORT = 3128;

/**
 * Runs in a short-lived host Node placed into the sandbox's network namespace: binds the
 * proxy port on the sandbox's loopback and hands the listening socket to us over IPC.
 */
const LISTENER = `const s = require('node:net').createServer({ pauseOnConnect: true });
s.on('error', (e) => { process.send({ error: e.message }, () => process.exit(1)); });
s.listen({ host: '127.0.0.1', port: ${PROXY_PORT}, exclusive: true }, () => {
  process.send('listening', s, () => process.exit(0));
});`;

export interface Bridge {
  close(): void;
}

/**
 * Opens the sandbox's one door: 127.0.0.1:3128 in its network namespace, served by this
 * process, each connection piped to `socketPath` (the proxy's unix socket).
 */
export async function openBridge(
  init: InitRef,
  socketPath: string,
  asRoot: boolean,
): Promise<Bridge> {
  // As root no user namespace is needed (and host root is not mapped in it).
  const handles = openHandles(init, asRoot ? ['net'] : ['user', 'net']);
  const credentials = asRoot ? [] : ['--preserve-credentials'];
  const sealed = sealStdio(['ignore', 'ignore', 'pipe', ...handles.fds, 'ipc']);
  let child: ChildProcess;
  try {
    child = spawn(
      'nsenter',
      [...handles.args, ...credentials, '--', process.execPath, '-e', LISTENER],
      { stdio: sealed.stdio, env: { PATH: HOST_PATH } },
    );
  } finally {
    handles.close();
    sealed.done();
  }
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const server = await new Promise<Server>((resolve, reject) => {
    child.once('message', (message, handle) => {
      if (message === 'listening' && handle) resolve(handle as Server);
      else
        reject(
          new VmError('SBX_VM_START_FAILED', `proxy bridge failed: ${JSON.stringify(message)}`),
        );
    });
    child.once('exit', (code) =>
      reject(new VmError('SBX_VM_START_FAILED', `proxy bridge exited (${code}): ${stderr.trim()}`)),
    );
    child.once('error', (cause) =>
      reject(new VmError('SBX_VM_START_FAILED', 'cannot run nsenter', { cause })),
    );
  });
  const sockets = new Set<Socket>();
  server.on('connection', (inside: Socket) => {
    const upstream = connect(socketPath);
    sockets.add(inside);
    const done = () => {
      sockets.delete(inside);
      inside.destroy();
      upstream.destroy();
    };
    inside.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
    inside.pipe(upstream).pipe(inside);
    inside.resume();
  });
  return {
    close() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}
