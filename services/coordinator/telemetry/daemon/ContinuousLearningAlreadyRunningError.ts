/** Another daemon holds the PID lock of this state directory. */
export class ContinuousLearningAlreadyRunningError extends Error {
  readonly code = "continuous_learning_already_running";
  constructor(
    readonly pid: number,
    readonly lockFile: string,
  ) {
    super(`continuous_learning_already_running: process ${pid} holds ${lockFile}`);
    this.name = "ContinuousLearningAlreadyRunningError";
  }
}
