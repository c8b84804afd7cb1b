/** Errors of the benchmark harness, with the exit codes of src/errors. */
import { ChronicleError } from '../../src/errors';

/**
 * A run did not do the work it stands for (the audited run logged a different number of rows
 * than it changed, or the two runs of a workload changed different numbers of rows): its timings
 * would compare unlike things, so the harness stops rather than print them.
 */
export class BenchIntegrityError extends ChronicleError {}
