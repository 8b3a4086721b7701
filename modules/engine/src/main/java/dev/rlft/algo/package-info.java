/**
 * RL fine-tuning algorithms as small pure functions: group-relative advantages, KL estimators,
 * loss aggregation modes and the clipped policy-gradient loss.
 *
 * <p>Every formula exists twice: a plain-array reference (computed in {@code double}, returned as
 * {@code float}) and a DJL version in float32 that the learner backpropagates through; tests check
 * the two against each other and against hand-computed values. Each algorithm family is a registry
 * keyed by an enum whose {@code parse} accepts names case-insensitively, with {@code '-'} and
 * {@code '_'} equivalent, and rejects an unknown name with an error listing the valid ones.
 */
package dev.rlft.algo;
