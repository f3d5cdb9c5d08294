// DuckDB reads what `tinman export --format parquet` writes. The fixture program
// writes logs with known values and expected.json (computed in C++); this script
// exports the logs and compares DuckDB's answers with the expectations:
// schema (names, types, Parquet logical types), row counts, sums, minima and
// maxima, each column chunk's statistics, zstd pages and row groups, and a query
// over a fleet of logs.
//   node duckdb_check.mjs TINMAN FIXTURE SCRATCH NPM_PREFIX zstd|none
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const [tinman, fixture, scratch, npmPrefix, zstd] = process.argv.slice(2);
if (!zstd) {
    console.error('usage: node duckdb_check.mjs TINMAN FIXTURE SCRATCH NPM_PREFIX zstd|none');
    process.exit(2);
}

let duckdb;
try {
    duckdb = createRequire(path.join(path.resolve(npmPrefix), 'package.json'))('@duckdb/node-api');
} catch (e) {
    console.error(`FAIL: @duckdb/node-api not found under ${npmPrefix} ` +
                  `(npm install --prefix ${npmPrefix} @duckdb/node-api): ${e.message}`);
    process.exit(1);
}

let failures = 0;
let checks = 0;
function check(ok, what) {
    ++checks;
    if (!ok) {
        ++failures;
        console.error(`FAIL: ${what}`);
    }
}
function closeEnough(got, want) {
    const g = Number(got), w = Number(want);
    return Math.abs(g - w) <= 1e-9 * Math.max(1, Math.abs(w));
}

const run = (...args) => execFileSync(tinman, args, { encoding: 'utf8' });

execFileSync(fixture, [scratch]);
const expected = JSON.parse(fs.readFileSync(path.join(scratch, 'expected.json'), 'utf8'));
const single = path.join(scratch, 'single');
const out = path.join(scratch, 'out');
fs.rmSync(out, { recursive: true, force: true });
// Every channel, each to <out>/plain/<channel>.parquet; and again with zstd pages and row groups of 1000 rows.
console.log(run('export', '--format', 'parquet', single, '-o', path.join(out, 'plain')).trim());
if (zstd === 'zstd') {
    console.log(run('export', '--format', 'parquet', '--compression', 'zstd', '--row-group-rows', '1000', single,
                    '-o', path.join(out, 'zstd')).trim());
}
// A fleet: one log per robot, each exported to fleet/robot=<r>/imu.parquet (hive partitioning).
for (const robot of expected.fleet) {
    const name = `robot=${robot.robot}`;
    const file = path.join(out, 'fleet', name, 'imu.parquet');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    run('export', '--format', 'parquet', path.join(scratch, 'fleet', name), '-c', 'imu', '-o', file);
}

const instance = await duckdb.DuckDBInstance.create(':memory:');
const db = await instance.connect();
const rows = async (sql) => (await db.runAndReadAll(sql)).getRowObjectsJson();
const lit = (s) => `'${s.replaceAll("'", "''")}'`;

let timestampType = null;
async function checkChannel(dir, channel, want) {
    const file = path.join(dir, `${channel}.parquet`);
    const where = `${path.basename(dir)}/${channel}`;
    const src = `read_parquet(${lit(file)})`;
    const described = await rows(`DESCRIBE SELECT * FROM ${src}`);
    check(JSON.stringify(described.map((c) => c.column_name)) === JSON.stringify(want.columns.map((c) => c[0])),
          `${where}: columns ${described.map((c) => c.column_name)} != ${want.columns.map((c) => c[0])}`);
    const [{ n }] = await rows(`SELECT count(*)::VARCHAR AS n FROM ${src}`);
    check(n === String(want.rows), `${where}: ${n} rows, expected ${want.rows}`);

    // The footer as written: the timestamp's logical type, unsigned integers, strings.
    const schema = await rows(`SELECT name, logical_type::VARCHAR AS logical FROM parquet_schema(${lit(file)})`);
    const logical = Object.fromEntries(schema.map((s) => [s.name, s.logical ?? '']));
    check(/TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(.*NANOS=NanoSeconds/.test(logical.timestamp),
          `${where}: timestamp's logical type is ${logical.timestamp}`);

    for (const [name, s] of want.columns) {
        const type = described.find((c) => c.column_name === name)?.column_type;
        const col = `"${name}"`;
        if (name === 'timestamp') {
            check(type === 'TIMESTAMP WITH TIME ZONE' || type === 'TIMESTAMP_NS', `${where}: timestamp is ${type}`);
            timestampType = type;
        } else {
            check(type === s.type, `${where}.${name}: DuckDB type ${type}, expected ${s.type}`);
        }
        if (s.sum === undefined && s.length === undefined) continue;  // no rows
        if (s.kind === 'int' || s.kind === 'bool') {
            const v = s.kind === 'bool' ? `${col}::INTEGER` : col;
            const [r] = await rows(`SELECT sum(${v})::VARCHAR AS sum, min(${v})::VARCHAR AS min, ` +
                                   `max(${v})::VARCHAR AS max FROM ${src}`);
            check(r.sum === s.sum && r.min === s.min && r.max === s.max,
                  `${where}.${name}: sum/min/max ${r.sum}/${r.min}/${r.max}, expected ${s.sum}/${s.min}/${s.max}`);
        } else if (s.kind === 'float') {
            const [r] = await rows(`SELECT sum(${col})::DOUBLE AS sum, min(${col})::DOUBLE AS min, ` +
                                   `max(${col})::DOUBLE AS max FROM ${src}`);
            check(closeEnough(r.sum, s.sum) && closeEnough(r.min, s.min) && closeEnough(r.max, s.max),
                  `${where}.${name}: sum/min/max ${r.sum}/${r.min}/${r.max}, expected ${s.sum}/${s.min}/${s.max}`);
        } else if (s.kind === 'time') {
            // TIMESTAMP_NS keeps nanoseconds; DuckDB's TIMESTAMP WITH TIME ZONE holds microseconds.
            const [r] = await rows(`SELECT epoch_ns(min(${col}))::VARCHAR AS min, epoch_ns(max(${col}))::VARCHAR AS max ` +
                                   `FROM ${src}`);
            const unit = type === 'TIMESTAMP_NS' ? 1n : 1000n;
            const scaled = (v) => String((BigInt(v) / unit) * unit);
            check(r.min === scaled(s.min) && r.max === scaled(s.max),
                  `${where}.${name}: min/max ${r.min}/${r.max}, expected ${scaled(s.min)}/${scaled(s.max)}`);
        } else if (s.kind === 'text') {
            const [r] = await rows(`SELECT sum(strlen(${col}))::VARCHAR AS length, min(${col}) AS min, ` +
                                   `max(${col}) AS max FROM ${src}`);
            check(r.length === s.length && r.min === s.min && r.max === s.max,
                  `${where}.${name}: length/min/max ${r.length}/${r.min}/${r.max}, expected ${s.length}/${s.min}/${s.max}`);
        } else if (s.kind === 'blob') {
            const [r] = await rows(`SELECT sum(octet_length(${col}))::VARCHAR AS length FROM ${src}`);
            const [first] = await rows(`SELECT hex(${col}) AS h FROM ${src} ORDER BY "timestamp" LIMIT 1`);
            check(r.length === s.length && first.h === s.first_hex,
                  `${where}.${name}: length ${r.length}, first ${first.h}; expected ${s.length}, ${s.first_hex}`);
        }
    }
    await checkStatistics(file, where, want);
    return file;
}

// Each column chunk's statistics (what lets engines skip row groups): present for
// numeric columns, and together spanning exactly the column's minimum and maximum.
async function checkStatistics(file, where, want) {
    const meta = await rows(`SELECT path_in_schema AS col, stats_min_value AS lo, stats_max_value AS hi ` +
                            `FROM parquet_metadata(${lit(file)})`);
    for (const [name, s] of want.columns) {
        if ((s.kind !== 'int' && s.kind !== 'float') || s.min === undefined) continue;
        const chunks = meta.filter((m) => m.col === name);
        const present = chunks.length > 0 && chunks.every((m) => m.lo !== null && m.hi !== null);
        check(present, `${where}.${name}: column chunks without statistics: ${JSON.stringify(chunks)}`);
        if (!present) continue;
        if (s.kind === 'int') {
            const lo = chunks.map((m) => BigInt(m.lo)).reduce((a, b) => (a < b ? a : b));
            const hi = chunks.map((m) => BigInt(m.hi)).reduce((a, b) => (a > b ? a : b));
            check(String(lo) === s.min && String(hi) === s.max,
                  `${where}.${name}: statistics span ${lo}..${hi}, expected ${s.min}..${s.max}`);
        } else {
            const lo = Math.min(...chunks.map((m) => Number(m.lo)));
            const hi = Math.max(...chunks.map((m) => Number(m.hi)));
            check(closeEnough(lo, s.min) && closeEnough(hi, s.max),
                  `${where}.${name}: statistics span ${lo}..${hi}, expected ${s.min}..${s.max}`);
        }
    }
}

for (const [channel, want] of Object.entries(expected.channels)) {
    await checkChannel(path.join(out, 'plain'), channel, want);
    if (zstd !== 'zstd') continue;
    const file = await checkChannel(path.join(out, 'zstd'), channel, want);
    const meta = await rows(`SELECT DISTINCT compression, row_group_id FROM parquet_metadata(${lit(file)})`);
    const groups = Math.ceil(want.rows / 1000);
    check(new Set(meta.map((m) => m.row_group_id)).size === groups,
          `zstd/${channel}: ${new Set(meta.map((m) => m.row_group_id)).size} row groups, expected ${groups}`);
    check(meta.every((m) => m.compression === 'ZSTD'), `zstd/${channel}: compression ${meta.map((m) => m.compression)}`);
}

// The fleet, as one table: hive partitioning turns robot=<r> into a column.
const fleet = await rows(`SELECT robot::VARCHAR AS robot, count(*)::VARCHAR AS n, sum(v_0)::DOUBLE AS s ` +
                         `FROM read_parquet(${lit(path.join(out, 'fleet', '*', 'imu.parquet'))}, hive_partitioning=true) ` +
                         `GROUP BY robot ORDER BY robot`);
check(fleet.length === expected.fleet.length, `fleet: ${fleet.length} robots`);
for (const [i, want] of expected.fleet.entries()) {
    const got = fleet[i] ?? {};
    check(got.robot === String(want.robot) && got.n === String(want.rows) && closeEnough(got.s, want.sum_v_0),
          `fleet robot ${want.robot}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}
const files = await rows(`SELECT count(DISTINCT filename)::VARCHAR AS n ` +
                         `FROM read_parquet(${lit(path.join(out, 'fleet', '*', 'imu.parquet'))}, filename=true)`);
check(files[0].n === String(expected.fleet.length), `fleet: ${files[0].n} files`);

console.log(`duckdb ${duckdb.version ? duckdb.version() : ''}: ${checks - failures}/${checks} checks passed ` +
            `(timestamp column read as ${timestampType})`);
process.exit(failures ? 1 : 0);
