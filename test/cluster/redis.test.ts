/** LiveActor in a cluster of processes sharing one Redis store, as the processes of many machines do. */
import { describeWithRedis } from '../engines/redis/server.js';
import { describeLiveActorCluster } from './live-actor-cluster.js';
import { redisCluster } from './shared-stores.js';

describeWithRedis('Redis cluster', () => {
  describeLiveActorCluster(redisCluster);
});
