/**
 * make bench: the benchmarks of DESIGN.md §5 run here. The capture workloads (bulk INSERT,
 * UPDATE, DELETE, single-row UPDATE latency, audited vs unaudited) arrive with the logging core;
 * until then there is nothing to measure, and this says so instead of printing empty figures.
 */
console.log('no benchmarks yet: they arrive with change capture (issue 3); see DESIGN.md §5 for the workloads');
