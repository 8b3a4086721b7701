/**
 * Process reward models: a transformer that scores each step of a chain-of-thought solution with
 * the probability that the solution is still on track after it.
 *
 * <p>{@link dev.rlft.prm.ProcessRewardModel} scores (problem, steps) pairs in batches with either
 * rlft's own scalar head or a Math-Shepherd-style pair of vocabulary tokens; {@link
 * dev.rlft.prm.StepEncoder} finds where each step ends in the PRM's own tokenization; {@link
 * dev.rlft.prm.PrmLabeler} labels steps automatically by rolling out completions of every step
 * prefix (Wang et al., Math-Shepherd, arXiv 2312.08935); {@link dev.rlft.prm.PrmTrainer} fits the
 * PRM to those labels with binary cross-entropy; {@link dev.rlft.prm.PrmJsonl} reads and writes
 * the labels.
 */
package dev.rlft.prm;
