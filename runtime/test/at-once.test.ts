// eachAtOnce: never more than the limit in flight, items started in order, results in order, and
// on a failure nothing new started and the calls in flight settled before it rejects. Every call
// is held by a promise the test releases, so nothing depends on timing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eachAtOnce } from '@paywatch/runtime';

/** Calls that wait until the test releases them, recording what started and how many ran at once. */
function heldCalls() {
  const started: number[] = [];
  const release = new Map<number, { resolve: (value: string) => void; reject: (error: Error) => void }>();
  let running = 0;
  let most = 0;
  const work = (item: number) => {
    started.push(item);
    running++;
    most = Math.max(most, running);
    return new Promise<string>((resolve, reject) => release.set(item, { resolve, reject })).finally(() => running--);
  };
  /** Lets the event loop run until no call can start without a release. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { started, release, work, settle, most: () => most, running: () => running };
}

test('runs at most the limit at once, starts the items in order and resolves to the results in order', async () => {
  const calls = heldCalls();
  const done = eachAtOnce([0, 1, 2, 3, 4], 2, calls.work);
  await calls.settle();
  assert.deepEqual(calls.started, [0, 1], 'two started, the first two');
  // Finishing out of order: the next item takes the freed place.
  calls.release.get(1)!.resolve('one');
  await calls.settle();
  assert.deepEqual(calls.started, [0, 1, 2]);
  for (const item of [2, 0, 3, 4]) {
    calls.release.get(item)!.resolve(['zero', 'one', 'two', 'three', 'four'][item]!);
    await calls.settle();
  }
  assert.deepEqual(await done, ['zero', 'one', 'two', 'three', 'four']);
  assert.deepEqual(calls.started, [0, 1, 2, 3, 4]);
  assert.equal(calls.most(), 2);
});

test('a limit above the list runs every item at once; an empty list resolves to none', async () => {
  const calls = heldCalls();
  const done = eachAtOnce([0, 1, 2], 8, calls.work);
  await calls.settle();
  assert.deepEqual(calls.started, [0, 1, 2]);
  for (const item of [0, 1, 2]) calls.release.get(item)!.resolve(String(item));
  assert.deepEqual(await done, ['0', '1', '2']);
  assert.deepEqual(await eachAtOnce([], 3, calls.work), []);
});

test('the first failure starts nothing more and rejects once the calls in flight have settled', async () => {
  const calls = heldCalls();
  let outcome: string | undefined;
  const done = eachAtOnce([0, 1, 2, 3, 4], 2, calls.work).then(
    () => (outcome = 'resolved'),
    (error: Error) => (outcome = error.message),
  );
  await calls.settle();
  calls.release.get(0)!.reject(new Error('promtool exited 1'));
  await calls.settle();
  assert.deepEqual(calls.started, [0, 1], 'no item started after the failure');
  assert.equal(outcome, undefined, 'still waiting for item 1, in flight');
  calls.release.get(1)!.reject(new Error('a later failure'));
  await done;
  assert.equal(outcome, 'promtool exited 1', 'the first error');
  assert.equal(calls.running(), 0);
});

test('a call that throws before returning a promise counts as a failure', async () => {
  await assert.rejects(
    eachAtOnce(['a', 'b'], 1, (item) => {
      if (item === 'a') throw new Error('bad item a');
      return Promise.resolve(item);
    }),
    /bad item a/,
  );
});

test('a limit that is not a whole number of at least 1 is refused, saying so', async () => {
  for (const limit of [0, -1, 1.5, Number.NaN])
    await assert.rejects(
      eachAtOnce([1], limit, async (n) => n),
      /at once must be a whole number of at least 1/,
    );
});
