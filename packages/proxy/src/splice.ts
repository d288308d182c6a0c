import type { Socket } from 'node:net';
import { type Duplex, finished, pipeline } from 'node:stream';
import type { Relay } from './relay.ts';
import type { ProxyState, Spliced } from './state.ts';
import type { Target } from './target.ts';

/**
 * Pumps bytes both ways between the client and upstream until both sides are done; an error
 * or the idle timeout on either side tears down both. Registered so `setPolicy` can cut it.
 * With a `relay` (the upstream socket was opened with its `onread`), upstream bytes go to the
 * client through it instead of a stream pipe.
 */
export function splice(
  state: ProxyState,
  client: Socket,
  upstream: Duplex & { setTimeout?: Socket['setTimeout'] },
  entry: { target: Target; addresses: readonly string[]; bypass: boolean },
  onClose: () => void,
  relay?: Relay,
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
  if (!relay) {
    pipeline(upstream, client, done);
    return;
  }
  relay.from(upstream as Socket);
  // What pipeline(upstream, client) would do: the upstream's end ends the client once its
  // pending writes are out; an error or an early close on either side tears down both.
  let ended = false;
  upstream.once('end', () => {
    ended = true;
    client.end();
  });
  finished(upstream, { writable: false }, (error) => {
    if (error) done(error);
  });
  finished(client, { readable: false }, (error) =>
    done(error ?? (ended ? null : new Error('closed'))),
  );
}
