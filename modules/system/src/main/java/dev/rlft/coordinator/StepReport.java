package dev.rlft.coordinator;

import dev.rlft.wire.WireMessage;
import java.util.LinkedHashMap;

/**
 * What one GRPO step did, as sent to the run's listener.
 *
 * @param step 1-based trained step
 * @param generatedWith weight version that produced the batch
 * @param version weight version after the update
 * @param staleness learner version at training time minus {@code generatedWith}
 * @param metrics reward, accuracy, learner metrics and throughput
 * @param sampleText one completion of the batch, for display
 * @param samplePrompt the prompt of that completion, or null
 * @param sampleAnswer the true answer of its problem, or null
 * @param sampleSteps its reasoning steps as the step-reward worker scored them (process mode), or null
 * @param sampleStepScores the PRM score of each step, or null when process rewards are off or late
 */
public record StepReport(int step, long batchId, long generatedWith, long version, long staleness,
    LinkedHashMap<String, Double> metrics, String sampleText, boolean sampleCorrect, String samplePrompt,
    String sampleAnswer, String[] sampleSteps, float[] sampleStepScores) implements WireMessage {

  /** A report without the sample's prompt, answer and steps. */
  public StepReport(int step, long batchId, long generatedWith, long version, long staleness,
      LinkedHashMap<String, Double> metrics, String sampleText, boolean sampleCorrect) {
    this(step, batchId, generatedWith, version, staleness, metrics, sampleText, sampleCorrect, null, null, null, null);
  }
}
