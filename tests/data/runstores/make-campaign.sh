#!/usr/bin/env bash
# Builds a run store with the previous version (commit 2af47a6) of i2: rack, overcloud scale and
# remove, an upgrade killed during its soak then rolled back, and an upgrade killed mid-way (left
# resumable).
set -uo pipefail
export PYTHONPATH=/tmp/i2-before
cd /tmp/i2-before
export PATH=/work/main/.venv/bin:$PATH
STATE=/tmp/fx/state; rm -rf $STATE; mkdir -p $STATE
LAB=$STATE/lab; export I2_DB=sqlite:///$STATE/i2.db COLUMNS=160
i2 lab up --site examples/ie1 --dir $LAB || exit 1
trap 'i2 lab down --dir "$LAB" >/dev/null 2>&1 || true' EXIT
i2 lab rack c02 --dir $LAB || exit 1
export I2_SITE=examples/ie1 I2_ENDPOINTS=$LAB/endpoints.yaml I2_EVENTS_DIR=$STATE/events
i2 rack apply c02 --yes > $STATE/rack.log 2>&1 || { tail -20 $STATE/rack.log; exit 1; }
echo rack done
i2 overcloud scale ie1-new --role ComputeNuage --yes --count 7 > $STATE/scale.log 2>&1 || { tail -20 $STATE/scale.log; }
echo scale done
i2 overcloud remove ie1-new c02-s02 --yes > $STATE/remove.log 2>&1 || { tail -20 $STATE/remove.log; }
echo remove done
step() { python3 -c "
import sqlite3,sys
c=sqlite3.connect('$STATE/i2.db')
r=c.execute(\"select status from steps where key=? order by rowid desc limit 1\",(sys.argv[1],)).fetchone()
print(r[0] if r else '')" "$1"; }
lastrun() { python3 -c "
import sqlite3
c=sqlite3.connect('$STATE/i2.db')
print(c.execute('select id from runs order by created_at desc limit 1').fetchone()[0])"; }
i2 upgrade apply --app orders --yes > $STATE/orders.log 2>&1 &
P=$!
for i in $(seq 1 3000); do [ "$(step orders/prd/soak)" = running ] && break; sleep 0.1; done
kill -9 $P; wait $P 2>/dev/null
R=$(lastrun); echo "killed orders run $R during soak"
i2 runs abort $R
i2 upgrade rollback orders --yes > $STATE/rollback.log 2>&1 || tail -20 $STATE/rollback.log
echo rollback done
i2 upgrade apply --app billing --yes > $STATE/billing.log 2>&1 &
P=$!
for i in $(seq 1 3000); do [ "$(step billing/prd/manage)" = running ] || [ "$(step billing/prd/manage)" = done ] && break; sleep 0.05; done
kill -9 $P; wait $P 2>/dev/null
echo "killed billing run $(lastrun) at manage (left resumable)"
i2 runs list
