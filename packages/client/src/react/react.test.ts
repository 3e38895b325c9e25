// The React hooks rendered on the server (react-dom/server): they read the client's state without opening any
// connection, and need a client from the provider or their options.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { Client } from '../client.ts';
import { SwitchboardProvider, useConnectionState, usePresence, useSubscription } from './index.ts';

function App(): ReturnType<typeof createElement> {
  const state = useConnectionState();
  const sub = useSubscription<{ text: string }>('chat');
  const presence = usePresence('chat');
  return createElement(
    'p',
    null,
    `${state}|${sub.state}|${sub.messages.length}|${presence.loading ? 'loading' : presence.clients.length}`,
  );
}

function Lonely(): ReturnType<typeof createElement> {
  return createElement('p', null, useConnectionState());
}

describe('React hooks on the server', () => {
  it('render the current snapshot, and no connection is opened', () => {
    let opened = 0;
    class CountingSocket {
      constructor() {
        opened++;
      }
    }
    const client = new Client('http://127.0.0.1:1', {
      autoConnect: false,
      WebSocket: CountingSocket as unknown as typeof WebSocket,
    });
    const html = renderToString(createElement(SwitchboardProvider, { client }, createElement(App)));
    assert.equal(html, '<p>disconnected|unsubscribed|0|loading</p>');
    assert.equal(opened, 0);
    assert.equal(client.getSubscription('chat'), undefined, 'rendering on the server subscribes to nothing');
  });

  it('without a provider or a client option, a hook says what is missing', () => {
    assert.throws(() => renderToString(createElement(Lonely)), /SwitchboardProvider/);
  });
});
