// Validates a PostgreSQL connection URL and describes it without its password, for messages.

export function parseDatabaseUrl(value: string, source = 'DATABASE_URL'): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${source} is not a URL: expected postgres://user@host:5432/database, got ${JSON.stringify(redact(value))}`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`${source} must start with postgres:// or postgresql://, got ${url.protocol}//`);
  }
  if (!url.pathname || url.pathname === '/') throw new Error(`${source} names no database: add /<database> to ${redact(url)}`);
  return url;
}

/** The URL with any password replaced, safe to print, even when it is not a valid URL. */
export function redact(url: URL | string): string {
  let copy: URL;
  try {
    copy = new URL(url.toString());
  } catch {
    // Not parseable: hide whatever stands between "user:" and the last "@" of the authority.
    return url.toString().replace(/^([^:/]*:\/\/[^:/@]*:)[^/]*@/, '$1***@');
  }
  if (copy.password) copy.password = '***';
  return copy.toString();
}
