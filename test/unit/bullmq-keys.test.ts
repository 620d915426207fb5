import { expect } from 'chai';
import {
  escapeGlob,
  hashTag,
  metaKeyParser,
  metaPattern,
  parseReplies,
  readPlan,
  sharesHashSlot,
} from '../../src/sources/bullmq-keys.js';

describe('bullmq-keys', () => {
  describe('readPlan', () => {
    it('reads every state of the queue with read-only O(1) commands, keys built verbatim', () => {
      const plan = readPlan('{bull}', 'stt-queue');
      expect(plan).to.deep.equal([
        ['llen', '{bull}:stt-queue:wait'],
        ['llen', '{bull}:stt-queue:paused'],
        ['llen', '{bull}:stt-queue:active'],
        ['zcard', '{bull}:stt-queue:prioritized'],
        ['zcard', '{bull}:stt-queue:delayed'],
        ['zcard', '{bull}:stt-queue:waiting-children'],
        ['zcard', '{bull}:stt-queue:completed'],
        ['zcard', '{bull}:stt-queue:failed'],
        ['lindex', '{bull}:stt-queue:wait', -1],
        ['lindex', '{bull}:stt-queue:paused', -1],
        ['hget', '{bull}:stt-queue:meta', 'paused'],
        ['exists', '{bull}:stt-queue:meta'],
      ]);
    });
  });

  describe('parseReplies', () => {
    it('maps replies in plan order', () => {
      const raw = parseReplies([1, 2, 3, 4, 5, 6, 7, 8, '0:1', Buffer.from('9'), '1', 1]);
      expect(raw).to.deep.equal({
        waitLen: 1, pausedLen: 2, activeLen: 3, prioritized: 4, delayed: 5,
        waitingChildren: 6, completed: 7, failed: 8,
        waitTail: '0:1', pausedTail: '9', metaPaused: '1', metaExists: true,
      });
    });
    it('accepts nil tails and a missing meta', () => {
      const raw = parseReplies([0, 0, 0, 0, 0, 0, 0, 0, null, null, null, 0]);
      expect(raw.waitTail).to.equal(null);
      expect(raw.metaExists).to.equal(false);
    });
    it('rejects a wrong number of replies and non-count replies', () => {
      expect(() => parseReplies([1, 2])).to.throw(/expected 12 replies/);
      expect(() => parseReplies(['x', 0, 0, 0, 0, 0, 0, 0, null, null, null, 0])).to.throw(/count/);
      expect(() => parseReplies([-1, 0, 0, 0, 0, 0, 0, 0, null, null, null, 0])).to.throw(/count/);
      expect(() => parseReplies([0, 0, 0, 0, 0, 0, 0, 0, 5, null, null, 0])).to.throw(/string/);
    });
  });

  describe('hash tags', () => {
    const tags: [key: string, tag: string | undefined][] = [
      ['bull:q:wait', undefined],
      ['{bull}:q:wait', 'bull'],
      ['bull:{stt-queue}:wait', 'stt-queue'],
      ['{}:{q}:wait', undefined], // empty first tag: Redis hashes the whole key
      ['{a}{b}:wait', 'a'],
      ['{bull:q:wait', undefined],
      ['a{b}c{d}', 'b'],
    ];
    for (const [key, tag] of tags) {
      it(`hashTag(${JSON.stringify(key)}) = ${String(tag)}`, () => {
        expect(hashTag(key)).to.equal(tag);
      });
    }

    const slots: [prefix: string, queue: string, shared: boolean][] = [
      ['bull', 'q', false],
      ['{bull}', 'q', true],
      ['bull', '{q}', true],
      ['{bull}', '{q}', true],
      ['{}', 'q', false],
      ['{b', 'q}', true], // tag "b:q" lies inside the common part
      ['{bull', 'q', false], // no closing brace: every key hashes whole
      ['app:{tenant}:bull', 'q', true],
    ];
    for (const [prefix, queue, shared] of slots) {
      it(`sharesHashSlot(${JSON.stringify(prefix)}, ${JSON.stringify(queue)}) = ${shared}`, () => {
        expect(sharesHashSlot(prefix, queue)).to.equal(shared);
      });
    }
  });

  describe('discovery patterns', () => {
    it('escapes glob metacharacters in the prefix, not braces or colons', () => {
      expect(escapeGlob('a*b?c[d]e\\f')).to.equal('a\\*b\\?c\\[d\\]e\\\\f');
      expect(metaPattern('{bull}:app')).to.equal('{bull}:app:*:meta');
      expect(metaPattern('bull')).to.equal('bull:*:meta');
    });

    const parse: [prefix: string, key: string, name: string | undefined][] = [
      ['bull', 'bull:stt-queue:meta', 'stt-queue'],
      ['bull', 'bull:{stt-queue}:meta', '{stt-queue}'],
      ['bull', 'bull:a:b:meta', undefined], // queue names cannot contain ':'
      ['bull', 'bull::meta', undefined],
      ['bull', 'bullx:q:meta', undefined],
      ['bull', 'bull:q:meta:x', undefined],
      ['{bull}', '{bull}:q:meta', 'q'],
      ['app:{t}.bull', 'app:{t}.bull:q:meta', 'q'],
      ['app:{t}.bull', 'app:{t}xbull:q:meta', undefined], // '.' is literal
      ['a+b', 'a+b:q:meta', 'q'],
      ['a*', 'a*:q:meta', 'q'],
    ];
    for (const [prefix, key, name] of parse) {
      it(`prefix ${JSON.stringify(prefix)}: ${JSON.stringify(key)} → ${String(name)}`, () => {
        expect(metaKeyParser(prefix)(key)).to.equal(name);
      });
    }
  });
});
