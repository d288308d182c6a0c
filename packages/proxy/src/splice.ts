import type { Socket } from 'node:net';
import { type Duplex, pipeline } from 'node:stream';
import type { ProxyState, Spliced } from './state.ts';
import type { Target } from './target.ts';

/**
 * Pumps bytes both ways between the client and upstream until both sides are done; an error
 * or the idle timeout on either side tears down both. Registered so `setPolicy` can cut it.
 */
export function splice(
  state: ProxyState,
  client: Socket,
  upstream: Duplex & { setTimeout?: Socket['setTimeout'] },
  entry: { target: Target; addresses: readonly string[]; bypass: boolean },
  onClose: () => void,
): void {
  const destroy = () => {
    client.destroy();
    upstream.destroy();
  };
  const live: Spliced = { ...entry, destroy };
  state.spliced.add(live);
  client.setTimeout(state.idleTimeoutMs, destroy);
  upstream.setTimeout?.(state.idleTimeoutMs, destroy);
  // Two pipelines watch both streams: more close listeners than EventEmitter's default warns at.
  client.setMaxListeners(32);
  upstream.setMaxListeners(32);
  let open = 2;
  const done = (error?: Error | null) => {
    if (error) destroy();
    if (--open === 0) {
      state.spliced.delete(live);
      onClose();
    }
  };
  pipeline(client, upstream, done);
  pipeline(upstream, client, done);
}
