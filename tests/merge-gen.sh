#!/bin/sh
# Generates records for intel-merge's tests and scripts/bench-merge.
#
#   merge-gen.sh store N
#	N canonical records, sorted by (origin, id) as a store is: record k
#	(0 <= k < N) has origin ORIGINS[k % 4] and id "id" + k in 8 digits.
#   merge-gen.sh random SEED N KEYS
#	N records in random order whose keys are drawn from the first KEYS
#	of the keys above, with random versions (1-3), tombstones, received
#	and expires members, two variants of data (conflicts) and pseudonyms
#	from a small pool (hits).  Standings are mixed (SPEC 8): a record
#	has no received (direct), received from its origin (direct), or
#	received from another party (relayed), a third of these with a
#	version of 990-999.  The same SEED gives the same records.
#
# Output on stdout.  POSIX sh and awk only.
set -eu

usage() {
	echo "usage: merge-gen.sh store N | random SEED N KEYS" >&2
	exit 64
}

[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in
store)
	[ $# -eq 1 ] || usage
	awk -v n="$1" 'BEGIN {
		split("AT-BMI DE-BKA FR-DGSI NL-KMAR", org, " ")
		for (o = 0; o < 4; o++)
			for (k = o; k < n; k += 4)
				printf "{\"classification\":\"RESTRICTED\"," \
				    "\"created\":\"2026-01-01T00:00:00Z\"," \
				    "\"data\":{\"n\":%d,\"name\":\"person %d\"," \
				    "\"plate\":\"pn:%032x\"},\"id\":\"id%08d\"," \
				    "\"origin\":\"%s\",\"purposes\":[\"smuggling\"]," \
				    "\"type\":\"person\",\"version\":1}\n",
				    k, k, k % 997, k, org[o + 1]
	}'
	;;
random)
	[ $# -eq 3 ] || usage
	awk -v seed="$1" -v n="$2" -v keys="$3" 'BEGIN {
		srand(seed)
		split("AT-BMI DE-BKA FR-DGSI NL-KMAR", org, " ")
		for (i = 0; i < n; i++) {
			k = int(rand() * keys)
			v = 1 + int(rand() * 3)
			st = int(rand() * 3)	# 0 none, 1 from origin, 2 relayed
			if (st == 2 && rand() < 0.33)
				v = 990 + int(rand() * 10)
			wd = rand() < 0.1
			if (wd)
				data = "{}"
			else {
				var = rand() < 0.2
				data = sprintf("{\"n\":%d,\"name\":\"person %d\"," \
				    "\"plate\":\"pn:%032x\",\"variant\":%d}",
				    k, k, (k * 7 + var) % 50, var)
			}
			rec = sprintf("{\"version\":%d,\"origin\":\"%s\"," \
			    "\"id\":\"id%08d\",\"type\":\"person\"," \
			    "\"created\":\"2026-01-01T00:00:00Z\",\"data\":%s",
			    v, org[k % 4 + 1], k, data)
			if (wd)
				rec = rec ",\"withdrawn\":true"
			if (st == 2)
				from = org[(k % 4 + 1 + int(rand() * 3)) % 4 + 1]
			else
				from = org[k % 4 + 1]
			if (st > 0)
				rec = rec sprintf(",\"received\":{\"from\":\"%s\"," \
				    "\"bundle\":\"b%d\",\"at\":\"2026-11-%02dT00:00:00Z\"}",
				    from, int(rand() * 5), 1 + int(rand() * 20))
			if (rand() < 0.3)
				rec = rec sprintf(",\"expires\":\"2027-%02d-01T00:00:00Z\"",
				    1 + int(rand() * 12))
			print rec "}"
		}
	}'
	;;
*)
	usage
	;;
esac
