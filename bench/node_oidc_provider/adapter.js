// oidc-provider's storage adapter on PostgreSQL: one table, one statement per call.
// The shape of oidc-provider's documented adapter interface (its example memory adapter),
// kept as plain as the Django side's own store.

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc_payloads (
  id text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  grant_id text,
  user_code text,
  uid text,
  expires_at timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (id, type)
);
CREATE INDEX IF NOT EXISTS oidc_payloads_grant_id ON oidc_payloads (grant_id);
CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (uid);
CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (user_code);
`;

export function postgresAdapter(pool) {
  return class PostgresAdapter {
    constructor(name) {
      this.type = name;
    }

    async upsert(id, payload, expiresIn) {
      await pool.query(
        `INSERT INTO oidc_payloads (id, type, payload, grant_id, user_code, uid, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
         ON CONFLICT (id, type) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
           user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
        [id, this.type, payload, payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresIn ?? 3650 * 86400],
      );
    }

    async #findWhere(column, value) {
      const { rows } = await pool.query(
        `SELECT payload, extract(epoch FROM consumed_at)::bigint AS consumed FROM oidc_payloads
         WHERE ${column} = $1 AND type = $2 AND expires_at > now()`,
        [value, this.type],
      );
      if (!rows.length) return undefined;
      const [{ payload, consumed }] = rows;
      return consumed ? { ...payload, consumed: Number(consumed) } : payload;
    }

    find(id) {
      return this.#findWhere('id', id);
    }

    findByUid(uid) {
      return this.#findWhere('uid', uid);
    }

    findByUserCode(userCode) {
      return this.#findWhere('user_code', userCode);
    }

    async consume(id) {
      await pool.query('UPDATE oidc_payloads SET consumed_at = now() WHERE id = $1 AND type = $2', [id, this.type]);
    }

    async destroy(id) {
      await pool.query('DELETE FROM oidc_payloads WHERE id = $1 AND type = $2', [id, this.type]);
    }

    async revokeByGrantId(grantId) {
      await pool.query('DELETE FROM oidc_payloads WHERE grant_id = $1', [grantId]);
    }
  };
}
