/**
 * The store's description, which the inspector's page shows (and `/api/overview` answers) to
 * whoever reads it: it never carries the database's password, wherever the address puts it.
 */
import { describe, expect, it } from 'vitest';
import { describeTarget, parseStoreUrl } from '../../src/cli/store-url.js';

describe("the store's description", () => {
  it.each([
    'postgres://reader@db.example/events?password=s3cret-pw',
    'postgresql://reader@db.example/events?sslmode=require&password=s3cret-pw',
    'postgres:///events?host=/var/run/postgresql&user=reader&password=s3cret-pw',
  ])('%s is described without its password', (url) => {
    expect(describeTarget(parseStoreUrl(url))).not.toContain('s3cret-pw');
  });
});
