import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cursorPrefix } from '@switchboard/protocol';
import { messageFrameJson, PreparedPublication } from './prepared.ts';

const pub = { channel: 'chat:"x"', epoch: 'ab12', offset: 7, data: '{"text":"a\\nb"}', time: 1 };

describe('PreparedPublication', () => {
  it('builds the message frame JSON by splicing the payload text', () => {
    const json = messageFrameJson(pub);
    assert.equal(
      json,
      '{"type":"message","channel":"chat:\\"x\\"","epoch":"ab12","offset":7,"data":{"text":"a\\nb"}}',
    );
    assert.deepEqual(JSON.parse(json), {
      type: 'message',
      channel: 'chat:"x"',
      epoch: 'ab12',
      offset: 7,
      data: { text: 'a\nb' },
    });
    const withInfo = messageFrameJson({ ...pub, info: { client: 'c1', user: null } });
    assert.deepEqual(JSON.parse(withInfo).info, { client: 'c1', user: null });
  });

  it('builds each transport encoding once and shares it', () => {
    const p = new PreparedPublication(pub);
    assert.equal(p.wsFrame, p.wsFrame);
    assert.equal(p.sseData, p.sseData);
    assert.equal(p.sseData.toString(), `data: ${p.json}\n\n`);
    const prefix = cursorPrefix(['chat:"x"']);
    const event = p.sseEventWithCursor(prefix);
    assert.equal(event, p.sseEventWithCursor(prefix));
    assert.equal(event.toString(), `id: ${prefix}.ab12-7\ndata: ${p.json}\n\n`);
  });
});
