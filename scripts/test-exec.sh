#!/bin/sh
# go test -exec for `make test`: runs a package's test binary ($1, with its
# arguments). The packages whose tests are timing tests scaled to a
# twentieth of real time (the weights and chunk transfer slots: a
# validator's copy within the unavailable span, a reader cut at its
# quantum) share the two cores of CI with the end-to-end tests' chains,
# whose CPU they lose when they need it most: a copy due in 6 s came in
# 8.6 s (2026-12-06). They run at a higher CPU priority (nice -5) where the
# user may raise it (root, as CI is), at the normal priority elsewhere;
# the other packages at the normal priority.
case "${1##*/}" in
provider.test | sidecar.test | dataserver.test)
	if [ "$(nice -n -5 nice 2>/dev/null)" -lt "$(nice)" ] 2>/dev/null; then
		exec nice -n -5 "$@"
	fi
	;;
esac
exec "$@"
