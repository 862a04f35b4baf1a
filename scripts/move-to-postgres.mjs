#!/usr/bin/env node
// Moves the worker's SQL data from D1 to Postgres (issue 18). See docs/moving-to-postgres.md.
//
// Reads D1 through `wrangler d1 execute DB --json --command ...` (so it works on production with
// --remote and on a local state with --local), writes to DATABASE_URL with npm `pg`. Resumable:
// each page is inserted and its progress recorded in one Postgres transaction (table
// data_moves), so a run stopped anywhere resumes exactly where it stopped; inserts are
// `on conflict do nothing`, so even a rerun with --restart never duplicates a row.

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const HELP = `usage: node scripts/move-to-postgres.mjs (--local | --remote) [options]

Copies every table of the D1 database (or one user's rows) into the Postgres database
DATABASE_URL, parents before children, in pages by primary key, and checks the row counts.

  --to URL            the Postgres database (default: $DATABASE_URL)
  --user ID           only the rows of user ID (their users row, every row with their user_id,
                      rows reached through a foreign key to those, audit rows naming them)
  --page-size N       rows per table per D1 query (default 500)
  --restart           forget the recorded progress of this scope and read everything again
                      (rows already in Postgres are kept: nothing is duplicated)
  --dry-run           check both schemas and print what would be copied; write nothing
  --database NAME     the D1 binding or database name (default DB)
  -h, --help          this text

Passed to wrangler as given: --local, --remote, --preview, --persist-to DIR, --config FILE
(-c), --env NAME (-e). One of --local and --remote is required.

Both databases must hold exactly the migrations of this checkout: Postgres's schema_migrations
every name in migrations/postgres/ (make pg-migrate DATABASE_URL=...), D1's d1_migrations every
name in migrations/ (wrangler d1 migrations apply DB ...). Otherwise nothing is copied.

Progress is kept per (scope, table) in the Postgres table data_moves; a rerun resumes after
the last page committed. Exit status: 0 when every table holds as many rows in Postgres as in
D1 for the scope, 1 when one differs, 2 when refused (usage, schema versions, a table the
command does not know how to scope).

Test hook: MOVE_TO_POSTGRES_STOP_AFTER_PAGES=N makes the run exit (status 3) right after its
Nth page is committed, as a crash there would, without finishing or verifying.`;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

class Refusal extends Error {}
const refuse = (message) => {
  throw new Refusal(message);
};

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const options = {
    to: process.env.DATABASE_URL || '',
    user: null,
    pageSize: 500,
    restart: false,
    dryRun: false,
    database: 'DB',
    wrangler: [],
    target: null,
  };
  const args = [...argv];
  const value = (flag, inline) => {
    if (inline !== undefined) return inline;
    if (!args.length || args[0].startsWith('-')) refuse(`${flag} needs a value`);
    return args.shift();
  };
  while (args.length) {
    const arg = args.shift();
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const [flag, inline] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    switch (flag) {
      case '-h':
      case '--help':
        console.log(HELP);
        process.exit(0);
        break;
      case '--to':
        options.to = value(flag, inline);
        break;
      case '--user':
        options.user = value(flag, inline);
        break;
      case '--page-size': {
        const n = Number(value(flag, inline));
        if (!Number.isInteger(n) || n < 1 || n > 10000) refuse('--page-size: a whole number 1..10000');
        options.pageSize = n;
        break;
      }
      case '--restart':
        options.restart = true;
        break;
      case '--dry-run':
        options.dryRun = true;
        break;
      case '--database':
        options.database = value(flag, inline);
        break;
      case '--local':
      case '--remote':
      case '--preview':
        if (inline !== undefined) refuse(`${flag} takes no value`);
        if (flag !== '--preview') {
          if (options.target && options.target !== flag) refuse('give one of --local and --remote');
          options.target = flag;
        }
        options.wrangler.push(flag);
        break;
      case '--persist-to':
      case '--config':
      case '-c':
      case '--env':
      case '-e':
        options.wrangler.push(flag, value(flag, inline));
        break;
      default:
        refuse(`unknown argument ${arg} (see --help)`);
    }
  }
  if (!options.target) refuse('say where D1 is: --local (with --persist-to DIR for a state elsewhere) or --remote');
  if (!options.to) refuse('no Postgres database: set DATABASE_URL or pass --to URL');
  if (options.user !== null && !options.user.trim()) refuse('--user needs an id');
  return options;
}

// ---------------------------------------------------------------------------------------------
// SQL text shared by both dialects

const ident = (name) => `"${String(name).replaceAll('"', '""')}"`;

/** A value as an SQL literal, the same text for SQLite and Postgres. */
function literal(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) refuse(`cannot write ${value} as SQL`);
    return String(value);
  }
  if (typeof value === 'string') {
    if (value.includes('\0')) refuse('a key holds a NUL character');
    return `'${value.replaceAll("'", "''")}'`;
  }
  return refuse(`cannot write ${JSON.stringify(value)} as SQL`);
}

const tuple = (items) => (items.length === 1 ? items[0] : `(${items.join(', ')})`);

// ---------------------------------------------------------------------------------------------
// D1 through wrangler

function wranglerBin() {
  const local = path.join(root, 'node_modules/.bin/wrangler');
  return existsSync(local) ? local : 'wrangler';
}

let d1Calls = 0;

/** Runs `statements` (an array of SQL texts) in one wrangler call; the rows of each. */
async function d1(options, statements) {
  const sql = statements.map((s) => s.trim().replace(/;$/, '')).join(';\n');
  const args = ['d1', 'execute', options.database, ...options.wrangler, '--json', '--command', sql];
  for (let attempt = 1; ; attempt++) {
    d1Calls++;
    const { code, stdout, stderr } = await new Promise((resolve) => {
      execFile(
        wranglerBin(),
        args,
        { cwd: root, maxBuffer: 1 << 30, env: { ...process.env, CI: process.env.CI || '1' } },
        (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }),
      );
    });
    let parsed;
    try {
      parsed = JSON.parse(stdout.slice(Math.max(0, stdout.search(/[[{]/))));
    } catch {
      parsed = undefined;
    }
    if (code === 0 && Array.isArray(parsed)) {
      if (parsed.length !== statements.length) {
        throw new Error(`wrangler answered ${parsed.length} results for ${statements.length} statements`);
      }
      return parsed.map((result) => {
        if (result.success === false) throw new Error(`D1: ${JSON.stringify(result)}`);
        return result.results ?? [];
      });
    }
    const message = parsed?.error?.text || `${stderr}${stdout}`.trim() || `wrangler exited with ${code}`;
    if (/SQLITE_BUSY|database is locked/i.test(message) && attempt < 20) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    const error = new Error(`wrangler d1 execute ${options.database} ${options.wrangler.join(' ')}: ${message}`);
    error.d1Message = message;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Schemas

function migrationNames(dir) {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sql') && statSync(path.join(dir, name)).isFile())
    .sort();
}

const difference = (a, b) => a.filter((x) => !b.includes(x));

async function checkPostgresVersion(client) {
  const expected = migrationNames(path.join(root, 'migrations/postgres'));
  const exists = await client.query(`select to_regclass('schema_migrations') is not null as ok`);
  if (!exists.rows[0].ok) {
    refuse('Postgres has no schema_migrations table: apply the schema first: make pg-migrate DATABASE_URL=...');
  }
  const applied = (await client.query('select name from schema_migrations')).rows.map((r) => r.name);
  const missing = difference(expected, applied);
  if (missing.length) {
    refuse(
      `the Postgres schema is not current: schema_migrations lacks ${missing.join(', ')}; ` +
        'apply them first: make pg-migrate DATABASE_URL=...',
    );
  }
  const unknown = difference(applied, expected);
  if (unknown.length) {
    refuse(
      `Postgres has migrations this checkout does not know (${unknown.join(', ')}): ` +
        'run the command from the checkout of the version deployed',
    );
  }
}

function checkD1Version(applied) {
  const expected = migrationNames(path.join(root, 'migrations'));
  const missing = difference(expected, applied);
  if (missing.length) {
    refuse(
      `the D1 schema is not current: d1_migrations lacks ${missing.join(', ')}; apply them first ` +
        '(wrangler d1 migrations apply DB with the same --local/--remote flags)',
    );
  }
  const unknown = difference(applied, expected);
  if (unknown.length) {
    refuse(
      `D1 has migrations this checkout does not know (${unknown.join(', ')}): ` +
        'run the command from the checkout of the version deployed',
    );
  }
}

/** D1's tables worth copying, each with its columns, primary key and foreign keys. */
async function readD1Schema(options) {
  let migrations, tables;
  try {
    [migrations, tables] = await d1(options, [
      'select name from d1_migrations order by id',
      "select name, sql from sqlite_master where type = 'table' order by name",
    ]);
  } catch (error) {
    if (/no such table: d1_migrations/.test(error.d1Message ?? '')) {
      refuse('D1 has no d1_migrations table: apply its migrations first (wrangler d1 migrations apply DB ...)');
    }
    throw error;
  }
  checkD1Version(migrations.map((r) => r.name));

  const virtual = tables.filter((t) => /^\s*create\s+virtual\s+table/i.test(t.sql ?? '')).map((t) => t.name);
  const own = [];
  const names = [];
  for (const { name } of tables) {
    if (name === 'd1_migrations' || /^sqlite_/i.test(name) || /^_cf_/i.test(name)) {
      own.push(name);
    } else if (virtual.includes(name)) {
      // A full-text index: Postgres's generated search column fills itself.
    } else if (virtual.some((v) => name.startsWith(`${v}_`))) {
      // FTS5's shadow tables (_data, _idx, _docsize, _config, _content) of a virtual table.
    } else {
      names.push(name);
    }
  }
  const userCheck = options.user === null ? [] : [`select count(*) as n from users where id = ${literal(options.user)}`];
  const pragmas = await d1(options, [
    ...names.flatMap((name) => [`pragma table_info(${ident(name)})`, `pragma foreign_key_list(${ident(name)})`]),
    ...userCheck,
  ]);
  if (userCheck.length && Number(pragmas[pragmas.length - 1][0]?.n) !== 1) refuse(`D1 has no user ${options.user}`);
  const skipped = [`D1's own tables (${own.join(', ')})`];
  if (virtual.length) skipped.push(`full-text indexes and their shadow tables (${virtual.join(', ')}): Postgres's generated search columns fill themselves`);
  const schema = new Map();
  names.forEach((name, i) => {
    const columns = pragmas[2 * i];
    const key = columns
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    const foreignKeys = new Map();
    for (const fk of pragmas[2 * i + 1]) {
      const entry = foreignKeys.get(fk.id) ?? { parent: fk.table, from: [], to: [] };
      entry.from[fk.seq] = fk.from;
      entry.to[fk.seq] = fk.to;
      foreignKeys.set(fk.id, entry);
    }
    schema.set(name, {
      name,
      columns: columns.map((c) => c.name),
      // A table without a primary key is paged by SQLite's rowid.
      key: key.length ? key : null,
      foreignKeys: [...foreignKeys.values()],
    });
  });
  for (const table of schema.values()) {
    for (const fk of table.foreignKeys) {
      // `references parent` without columns means the parent's primary key.
      if (fk.to.some((c) => c == null)) fk.to = schema.get(fk.parent)?.key ?? fk.to;
    }
  }
  return { tables: schema, skipped };
}

/** Checks that Postgres has every D1 table and column, and nothing else but generated columns. */
async function checkPostgresTables(client, tables) {
  const { rows } = await client.query(
    `select table_name, column_name, is_generated, identity_generation, column_default
       from information_schema.columns where table_schema = current_schema()`,
  );
  const problems = [];
  for (const table of tables.values()) {
    const pgColumns = rows.filter((r) => r.table_name === table.name);
    if (!pgColumns.length) {
      problems.push(`Postgres has no table ${table.name}`);
      continue;
    }
    for (const column of table.columns) {
      if (!pgColumns.some((c) => c.column_name === column)) problems.push(`Postgres has no column ${table.name}.${column}`);
    }
    for (const c of pgColumns) {
      if (!table.columns.includes(c.column_name) && c.is_generated !== 'ALWAYS') {
        problems.push(`Postgres's ${table.name}.${c.column_name} is not in D1`);
      }
    }
    table.overriding = pgColumns.some((c) => c.identity_generation === 'ALWAYS' && table.columns.includes(c.column_name));
    table.sequenced = pgColumns
      .filter((c) => table.columns.includes(c.column_name) && (c.identity_generation || /^nextval\(/.test(c.column_default ?? '')))
      .map((c) => c.column_name);
  }
  if (problems.length) refuse(`the schemas differ although both are current:\n  ${problems.join('\n  ')}`);
}

// ---------------------------------------------------------------------------------------------
// Scopes: which rows of a table belong to the move

// Tables whose rows belong to a user by a rule of their own (checked before the user_id column).
const USER_RULES = {
  users: (u) => `${ident('id')} = ${u}`,
  // As account erasure treats them (src/store/erasure.rs): rows where the user acted or was acted on.
  audit_log: (u) => `(${ident('actor_id')} = ${u} or ${ident('target_id')} = ${u})`,
};

// Tables that hold nobody's rows: copied by a whole move, left out of a user's move.
const NOBODYS = {
  oauth_state_uses: 'OAuth states already spent, nobody\u2019s',
  quota_guard: 'never holds a row',
  request_guard: 'never holds a row',
};

/** Sets `table.where` (null: every row) or `table.outOfScope`, or refuses. */
function planScopes(tables, user) {
  if (user === null) {
    for (const table of tables.values()) table.where = null;
    return;
  }
  const u = literal(user);
  const resolving = new Set();
  const resolve = (table) => {
    if (table.where !== undefined || table.outOfScope) return;
    if (resolving.has(table.name)) refuse(`foreign keys form a cycle through ${table.name}`);
    resolving.add(table.name);
    if (USER_RULES[table.name]) {
      table.where = USER_RULES[table.name](u);
    } else if (table.columns.includes('user_id')) {
      table.where = `${ident('user_id')} = ${u}`;
    } else {
      // A child keyed through a parent that belongs to the user.
      for (const fk of table.foreignKeys) {
        const parent = tables.get(fk.parent);
        if (!parent || parent === table) continue;
        resolve(parent);
        if (parent.outOfScope) continue;
        const inner = `select ${fk.to.map(ident).join(', ')} from ${ident(parent.name)}` + (parent.where ? ` where ${parent.where}` : '');
        table.where = `${tuple(fk.from.map(ident))} in (${inner})`;
        break;
      }
      if (table.where === undefined) {
        if (NOBODYS[table.name]) {
          table.outOfScope = NOBODYS[table.name];
        } else {
          refuse(
            `the table ${table.name} has no user_id column and no foreign key to a user's table, ` +
              "so the command does not know which of its rows are a user's: add it to USER_RULES or " +
              'NOBODYS in scripts/move-to-postgres.mjs',
          );
        }
      }
    }
    resolving.delete(table.name);
  };
  for (const table of tables.values()) resolve(table);
}

/** The tables in foreign-key order: levels, each only referencing tables of earlier levels. */
function levels(tables) {
  const level = new Map();
  const visiting = new Set();
  const of = (table) => {
    if (level.has(table.name)) return level.get(table.name);
    if (visiting.has(table.name)) refuse(`foreign keys form a cycle through ${table.name}`);
    visiting.add(table.name);
    let n = 0;
    for (const fk of table.foreignKeys) {
      const parent = tables.get(fk.parent);
      if (parent && parent !== table) n = Math.max(n, of(parent) + 1);
    }
    visiting.delete(table.name);
    level.set(table.name, n);
    return n;
  };
  const groups = [];
  for (const table of [...tables.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (table.outOfScope) continue;
    (groups[of(table)] ??= []).push(table);
  }
  const kept = groups.filter(Boolean);
  const included = new Set(kept.flat());
  for (const table of included) {
    table.parents = new Map(
      table.foreignKeys
        .map((fk) => tables.get(fk.parent))
        .filter((parent) => parent && parent !== table && included.has(parent))
        .map((parent) => [parent.name, parent]),
    );
  }
  return kept;
}

// ---------------------------------------------------------------------------------------------
// Copying

const KEY_ALIAS = '__move_rowid';
const keyExprs = (table) => (table.key ? table.key.map(ident) : ['rowid']);
const keyOf = (table, row) => (table.key ? table.key.map((k) => row[k]) : [row[KEY_ALIAS]]);

function conditions(table, lastKey) {
  const parts = [];
  if (table.where) parts.push(`(${table.where})`);
  if (lastKey) parts.push(`${tuple(keyExprs(table))} > ${tuple(lastKey.map(literal))}`);
  return parts.length ? ` where ${parts.join(' and ')}` : '';
}

function pageQuery(table, lastKey, pageSize) {
  const columns = table.columns.map(ident);
  if (!table.key) columns.push(`rowid as ${KEY_ALIAS}`);
  return (
    `select ${columns.join(', ')} from ${ident(table.name)}${conditions(table, lastKey)} ` +
    `order by ${keyExprs(table).join(', ')} limit ${pageSize}`
  );
}

const countQuery = (table, lastKey = null) => `select count(*) as n from ${ident(table.name)}${conditions(table, lastKey)}`;

function value(table, column, v) {
  if (v === null || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
      refuse(`${table.name}.${column} holds ${v}, beyond what D1's JSON carries exactly (2^53)`);
    }
    return v;
  }
  return refuse(`${table.name}.${column} holds ${JSON.stringify(v).slice(0, 80)}, which the command does not convert`);
}

/** Inserts `rows` (skipping those already there); how many were new. */
async function insertRows(client, table, rows) {
  if (!rows.length) return 0;
  const columns = table.columns;
  const perStatement = Math.max(1, Math.floor(30000 / columns.length));
  let inserted = 0;
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const params = [];
    const tuples = chunk.map((row) => {
      const marks = columns.map((column) => {
        params.push(value(table, column, row[column] ?? null));
        return `$${params.length}`;
      });
      return `(${marks.join(', ')})`;
    });
    const result = await client.query(
      `insert into ${ident(table.name)} (${columns.map(ident).join(', ')})` +
        `${table.overriding ? ' overriding system value' : ''} values ${tuples.join(', ')} on conflict do nothing`,
      params,
    );
    inserted += result.rowCount;
  }
  return inserted;
}

async function ensureProgressTable(client) {
  await client.query(`set client_min_messages = warning`);
  await client.query(`create table if not exists data_moves (
    scope text not null,
    table_name text not null,
    last_key text,
    rows_read bigint not null default 0,
    rows_copied bigint not null default 0,
    started_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    finished_at timestamptz,
    primary key (scope, table_name)
  )`);
}

async function readProgress(client, scope) {
  const exists = await client.query(`select to_regclass('data_moves') is not null as ok`);
  const progress = new Map();
  if (!exists.rows[0].ok) return progress;
  const { rows } = await client.query(
    'select table_name, last_key, rows_read, rows_copied, finished_at from data_moves where scope = $1',
    [scope],
  );
  for (const row of rows) {
    progress.set(row.table_name, {
      lastKey: row.last_key === null ? null : JSON.parse(row.last_key),
      read: Number(row.rows_read),
      copied: Number(row.rows_copied),
      finished: row.finished_at !== null,
    });
  }
  return progress;
}

/**
 * Copies every pending table of `ordered` (parents before children). Each round is one D1 call
 * holding the next page of every table whose parents are all copied; the first round also asks
 * for the pages of all other tables and for D1's counts, so a small database moves in one call
 * (a child's page read before its parents finished is dropped and read again later). Returns
 * D1's counts when that first round finished everything, else null.
 */
async function copy(client, options, scope, ordered, progress) {
  const stopAfter = Number(process.env.MOVE_TO_POSTGRES_STOP_AFTER_PAGES || 0);
  const finished = (t) => progress.get(t.name)?.finished ?? false;
  const parentsDone = (t) => [...t.parents.values()].every(finished);
  let pages = 0;
  let firstCounts = null;
  for (let round = 0; ; round++) {
    const pending = ordered.filter((t) => !finished(t));
    if (!pending.length) break;
    const fetch = round === 0 ? pending : pending.filter(parentsDone);
    if (!fetch.length) throw new Error(`no table can go: ${pending.map((t) => t.name).join(', ')}`);
    const withCounts = round === 0;
    const results = await d1(options, [
      ...fetch.map((t) => pageQuery(t, progress.get(t.name)?.lastKey ?? null, options.pageSize)),
      ...(withCounts ? ordered.map((t) => countQuery(t)) : []),
    ]);
    if (withCounts) firstCounts = results.slice(fetch.length).map((rows) => Number(rows[0].n));
    for (const [i, table] of fetch.entries()) {
      // Parents first: `fetch` keeps the order of `ordered`, so a parent's page went in above.
      if (!parentsDone(table)) continue;
      const rows = results[i];
      const state = progress.get(table.name) ?? { lastKey: null, read: 0, copied: 0, finished: false };
      const done = rows.length < options.pageSize;
      const lastKey = rows.length ? keyOf(table, rows[rows.length - 1]) : state.lastKey;
      // The page and its progress commit together: a crash leaves both or neither.
      await client.query('begin');
      let inserted;
      try {
        inserted = await insertRows(client, table, rows);
        await client.query(
          `insert into data_moves (scope, table_name, last_key, rows_read, rows_copied, finished_at)
             values ($1, $2, $3, $4, $5, case when $6 then now() end)
           on conflict (scope, table_name) do update set
             last_key = excluded.last_key,
             rows_read = data_moves.rows_read + excluded.rows_read,
             rows_copied = data_moves.rows_copied + excluded.rows_copied,
             finished_at = excluded.finished_at,
             updated_at = now()`,
          [scope, table.name, lastKey === null ? null : JSON.stringify(lastKey), rows.length, inserted, done],
        );
        await client.query('commit');
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw new Error(`copying ${table.name} after key ${JSON.stringify(state.lastKey)}: ${error.message}`);
      }
      Object.assign(state, { lastKey, read: state.read + rows.length, copied: state.copied + inserted, finished: done });
      progress.set(table.name, state);
      console.log(`${table.name}: ${state.read} read, ${state.copied} copied${done ? ', done' : ''}`);
      pages++;
      if (stopAfter && pages >= stopAfter) {
        console.log(`stopping after ${pages} pages (MOVE_TO_POSTGRES_STOP_AFTER_PAGES), as a crash would`);
        process.exit(3);
      }
    }
    if (round > 0) firstCounts = null;
  }
  return firstCounts;
}

/** Moves every sequence of a copied column past the column's highest value. */
async function advanceSequences(client, tables) {
  for (const table of tables) {
    for (const column of table.sequenced ?? []) {
      const { rows } = await client.query(
        `select pg_get_serial_sequence($1, $2) as seq, (select max(${ident(column)}) from ${ident(table.name)})::text as max`,
        [ident(table.name), column],
      );
      const { seq, max } = rows[0];
      if (!seq || max === null) continue;
      const state = (await client.query(`select last_value::text, is_called from ${seq}`)).rows[0];
      const nextValue = BigInt(state.last_value) + (state.is_called ? 1n : 0n);
      if (nextValue > BigInt(max)) {
        console.log(`${table.name}.${column}: its sequence already hands out ${nextValue}`);
        continue;
      }
      await client.query('select setval($1, $2::bigint, true)', [seq, max]);
      console.log(`${table.name}.${column}: sequence moved past ${max} (next ${BigInt(max) + 1n})`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Verification and reports

async function counts(client, options, tables, inD1 = null) {
  inD1 ??= (await d1(options, tables.map((t) => countQuery(t)))).map((rows) => Number(rows[0].n));
  const inPg = [];
  for (const table of tables) {
    inPg.push(Number((await client.query(countQuery(table))).rows[0].n));
  }
  return { inD1, inPg };
}

function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const scope = options.user === null ? 'all' : `user:${options.user}`;
  const client = new pg.Client({ connectionString: options.to, application_name: 'move-to-postgres' });
  await client.connect();
  try {
    await checkPostgresVersion(client);
    const { tables, skipped } = await readD1Schema(options);
    await checkPostgresTables(client, tables);
    planScopes(tables, options.user);
    const groups = levels(tables);
    const ordered = groups.flat();

    console.log(`moving ${scope === 'all' ? 'the whole database' : `user ${options.user}`} from D1 (${options.wrangler.join(' ')}) to Postgres`);
    console.log(`not copied: ${skipped.join('; ')}`);
    for (const table of tables.values()) {
      if (table.outOfScope) console.log(`not part of a user: ${table.name} (${table.outOfScope})`);
    }

    if (!options.dryRun) {
      // One move of a scope at a time: a second would only read the same pages again.
      const lock = await client.query('select pg_try_advisory_lock(hashtext($1)) as ok', [`move-to-postgres:${scope}`]);
      if (!lock.rows[0].ok) refuse(`another move of ${scope} is running against this database`);
      await ensureProgressTable(client);
      if (options.restart) {
        const { rowCount } = await client.query('delete from data_moves where scope = $1', [scope]);
        console.log(`--restart: forgot the progress of ${rowCount} tables`);
      }
    }
    const progress = options.dryRun && options.restart ? new Map() : await readProgress(client, scope);

    if (options.dryRun) {
      const answers = (
        await d1(options, [
          ...ordered.map((t) => countQuery(t, progress.get(t.name)?.lastKey ?? null)),
          ...ordered.map((t) => countQuery(t)),
        ])
      ).map((rows) => Number(rows[0].n));
      const remaining = answers.slice(0, ordered.length);
      const { inD1, inPg } = await counts(client, options, ordered, answers.slice(ordered.length));
      console.log(`dry run: in this order, pages of ${options.pageSize} rows, ${scope}`);
      printTable(
        ['table', 'D1', 'Postgres', 'to read', 'progress', 'rows'],
        ordered.map((t, i) => {
          const state = progress.get(t.name);
          const where = state?.finished ? 'finished' : state ? `after ${JSON.stringify(state.lastKey)}` : 'not started';
          return [t.name, inD1[i], inPg[i], state?.finished ? 0 : remaining[i], where, t.where ?? 'all'];
        }),
      );
      for (const t of ordered) for (const c of t.sequenced ?? []) console.log(`would move the sequence of ${t.name}.${c} past its highest value`);
      return 0;
    }

    const started = Date.now();
    const counted = await copy(client, options, scope, ordered, progress);
    await advanceSequences(client, ordered);
    const { inD1, inPg } = await counts(client, options, ordered, counted);
    console.log(`\n${scope}: rows for the scope in each database (${((Date.now() - started) / 1000).toFixed(1)} s, ${d1Calls} D1 calls)`);
    printTable(
      ['table', 'D1', 'Postgres', 'copied', ''],
      ordered.map((t, i) => [t.name, inD1[i], inPg[i], progress.get(t.name)?.copied ?? 0, inD1[i] === inPg[i] ? '' : 'DIFFERS']),
    );
    const differ = ordered.filter((t, i) => inD1[i] !== inPg[i]).map((t) => t.name);
    if (differ.length) {
      console.error(
        `move-to-postgres: ${differ.join(', ')} differ between D1 and Postgres. Were there writes during the move? ` +
          'Rerun with --restart to read everything again (see docs/moving-to-postgres.md).',
      );
      return 1;
    }
    console.log('every table holds the same number of rows on both sides');
    return 0;
  } finally {
    await client.end().catch(() => {});
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof Refusal) {
      console.error(`move-to-postgres: refused: ${error.message}`);
      process.exit(2);
    }
    console.error(`move-to-postgres: ${error.stack || error.message}`);
    process.exit(1);
  },
);
