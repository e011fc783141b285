// Shared test fixtures: a fresh, migrated database per test on the machine's real PostgreSQL.
export { ADMIN_URL, createTestDatabase, type TestDatabase } from './postgres.ts';
