// Package syncbench measures how the remote sync of a backup target scales
// with the number of backing-image backups it holds (issue 4, point 6):
// the first sync (every cfg read), a repeated sync with nothing changed
// (no cfg read) and one after a few cfgs changed or appeared (only those
// read), on a file target and on S3 (versitygw).
//
// The package holds the benchmark (BenchmarkSync), a small-N test that
// guards the request counts that make the sync scale, and their helpers:
// Populate writes N complete cfgs straight to a target, Counting counts the
// calls a sync sends by op and records every listed directory, and
// benchmem.Peak samples the heap while a sync runs. docs/sync-benchmark.md
// records the numbers and how to reproduce them.
package syncbench
