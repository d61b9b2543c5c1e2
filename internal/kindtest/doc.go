// Package kindtest holds the test that README's "Adding a workload kind"
// describes: a new kind added through the chain's table (x/compute/types)
// and the agents' table (jobexec) alone, in a test binary of its own so that
// the tables' other tests see only the kinds they register.
package kindtest
