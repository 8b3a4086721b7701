/**
 * Rewards for completions of math problems, all behind {@link dev.rlft.reward.RewardFunction}: the
 * {@link dev.rlft.reward.BoxedAnswerReward} accuracy reward and the {@link
 * dev.rlft.reward.FormatReward} shaping component.
 *
 * <p>Reward functions score untrusted model output, so they never throw on any completion and
 * bound their work: completions over {@link dev.rlft.reward.BoxedAnswerReward#MAX_COMPLETION_CHARS}
 * characters score 0 with reason {@code "too long"}.
 */
package dev.rlft.reward;
