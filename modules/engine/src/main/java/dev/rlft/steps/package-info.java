/**
 * Step-level rewards: reasoning steps of a completion ({@link dev.rlft.steps.StepSegmenter}),
 * their positions in the policy's and a PRM's tokens ({@link dev.rlft.steps.TokenAlignment},
 * {@link dev.rlft.steps.PrmInput}), credit assignment from PRM scores to step rewards ({@link
 * dev.rlft.steps.CreditAssignment}, {@link dev.rlft.steps.OutcomeGate}) and process-supervised
 * group advantages over tokens ({@link dev.rlft.steps.ProcessAdvantages}).
 *
 * <p>The flow for one completion: decode its ids with a {@code TokenAlignment}, segment the
 * alignment's text, place each step on its end token, build the PRM input from the step texts in
 * the PRM's tokenizer, turn the PRM's scores into step rewards, then compute the group's advantages.
 * Plain Java over arrays, no native code.
 */
package dev.rlft.steps;
