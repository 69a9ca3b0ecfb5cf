/** Hardware tiers from smallest to largest (lib/hardware-tier.nix, lib/tiers.json). */
export const tierNames = ["nano", "micro", "small", "medium", "large"] as const;

export type TierName = (typeof tierNames)[number];
