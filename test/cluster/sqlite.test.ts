/** LiveActor in a cluster of processes sharing one SQLite file, as the processes of one machine do. */
import { describeLiveActorCluster } from './live-actor-cluster.js';
import { sqliteCluster } from './shared-stores.js';

describeLiveActorCluster(sqliteCluster);
