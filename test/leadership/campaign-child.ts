/**
 * A process whose only work is one campaign, for the process-lifetime specification: it says
 * `elected` once it leads. `resident`: it keeps campaigning, and closes its keeper on SIGUSR2.
 * `closed`: it closes the campaign at once and leaves its store open. `keeper-closed`: it closes
 * the keeper instead. `store-closed`: it closes the store and nothing else. It never calls `process.exit`: whether it ends is what is being specified.
 */
import { memoryStore, type EventStore } from '../../src/index.js';
import { LeaseKeeper } from '../../src/leadership/lease-keeper.js';
import { sqliteStore } from '../../src/sqlite.js';

const [mode, engine, file] = process.argv.slice(2);
const store: EventStore = engine === 'sqlite' ? sqliteStore({ file: file as string }) : memoryStore();
const keeper = LeaseKeeper.of(store, { ttlMs: 300 });
const campaign = keeper.campaign('leader:lifetime', {
  onElected() {
    console.log('elected');
    if (mode === 'closed') void campaign.close().then(() => console.log('closed'));
    if (mode === 'keeper-closed') void keeper.close().then(() => console.log('closed'));
    if (mode === 'store-closed') void store.close().then(() => console.log('store closed'));
  },
  onDeposed(reason) {
    console.log(`deposed ${reason}`);
  },
});
process.on('SIGUSR2', () => {
  void keeper.close().then(() => console.log('closed'));
});
