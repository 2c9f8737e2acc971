// A test host: the official @duckdb/node-api (its own libduckdb) LOADs the extension
// and runs SQL for a Go test over stdin/stdout. Usage: node host.mjs EXT [DBPATH [OPTIONS_JSON]].
// Request: a line "<op> <conn> <nbytes>" then nbytes of SQL; op q runs it on connection
// <conn> (opened on first use), i interrupts that connection, c closes it.
// Reply: one JSON line, {"ok":true,"columns":[...],"types":[...],"rows":[[...]]} with
// every value as DuckDB's text or null, or {"ok":false,"error":"..."}. Requests on one
// connection run in order; requests on different connections run concurrently. Ids
// starting with 'B' are on a second in-memory database in this process; ids starting
// with 'N' do not LOAD the extension.
import { DuckDBInstance } from '@duckdb/node-api';

const [ext, dbPath = ':memory:', optsJSON = '{}'] = process.argv.slice(2);
const opts = { allow_unsigned_extensions: 'true', ...JSON.parse(optsJSON) };
const inst = await DuckDBInstance.create(dbPath, opts);
let second = null; // a second database in this process, for ids starting with 'B'
const conns = new Map(); // id -> {con, chain}

async function open(id) {
  if (id.startsWith('B') && !second) second = await DuckDBInstance.create(':memory:', { allow_unsigned_extensions: 'true' });
  const con = await (id.startsWith('B') ? second : inst).connect();
  if (id.startsWith('N')) return con; // a connection that does not LOAD the extension
  await con.run(`LOAD '${ext.replaceAll("'", "''")}'`);
  const db = (await con.runAndReadAll('SELECT current_database()')).getRows()[0][0];
  // The functions' macro lives in the attached in-memory catalog "duckinfer"; putting
  // it on the search path lets unchanged .test files call ml_predict unqualified.
  await con.run(`SET search_path = '${db}.main,duckinfer.main'`);
  return con;
}

function text(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object' && typeof v.toString === 'function') return v.toString();
  return String(v);
}

async function run(id, sql) {
  let c = conns.get(id);
  if (!c.con) c.con = await open(id);
  const reader = await c.con.runAndReadAll(sql);
  const columns = reader.columnNames();
  const types = reader.columnTypes().map((t) => t.toString());
  const rows = reader.getRows().map((r) => r.map(text));
  return { ok: true, columns, types, rows };
}

function reply(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }
const tag = (id, op, obj) => ({ conn: id, op, ...obj });

let buf = Buffer.alloc(0);
process.stdin.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  for (;;) {
    const nl = buf.indexOf(10);
    if (nl < 0) return;
    const [op, id, nstr] = buf.subarray(0, nl).toString().split(' ');
    const n = Number(nstr);
    if (buf.length < nl + 1 + n) return;
    const sql = buf.subarray(nl + 1, nl + 1 + n).toString();
    buf = buf.subarray(nl + 1 + n);
    if (!conns.has(id)) conns.set(id, { con: null, chain: Promise.resolve() });
    const c = conns.get(id);
    if (op === 'i') {
      if (c.con) c.con.interrupt();
      reply(tag(id, 'i', { ok: true }));
      continue;
    }
    c.chain = c.chain.then(async () => {
      try {
        if (op === 'c') {
          if (c.con) c.con.closeSync();
          conns.delete(id);
          reply(tag(id, op, { ok: true, columns: [], types: [], rows: [] }));
        } else {
          reply(tag(id, op, await run(id, sql)));
        }
      } catch (e) {
        reply(tag(id, op, { ok: false, error: String(e && e.message ? e.message : e) }));
      }
    });
  }
});
process.stdin.on('end', async () => {
  for (const c of conns.values()) await c.chain;
  for (const c of conns.values()) if (c.con) c.con.closeSync();
  inst.closeSync();
  if (second) second.closeSync();
});
