/** Why a proposal could not be applied; `code` is the HTTP error code the route answers with. */
export class ProposalApplyError extends Error {
  constructor(
    readonly code: "proposal_not_open" | "proposal_invalid" | "proposal_stale" | "weekly_step_exceeded" | "apply_failed",
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ProposalApplyError";
  }
}
