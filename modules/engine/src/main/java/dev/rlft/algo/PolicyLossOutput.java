package dev.rlft.algo;

/**
 * Result of the plain {@link PolicyLoss#compute(PolicyLossInput)}.
 *
 * @param loss the objective to minimise: the aggregation of {@code pg + beta * kl}
 * @param policyLoss the same aggregation of the clipped policy-gradient term alone
 * @param kl the same aggregation of the KL estimate alone; 0 when {@code beta == 0}
 * @param clipFraction share of unmasked tokens whose clipped term was chosen, in {@code [0, 1]}
 * @param meanRatio token-mean of {@code pi / pi_old} over unmasked tokens
 */
public record PolicyLossOutput(
    float loss, float policyLoss, float kl, float clipFraction, float meanRatio) {}
