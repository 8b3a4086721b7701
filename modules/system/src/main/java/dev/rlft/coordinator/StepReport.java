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
 */
public record StepReport(int step, long batchId, long generatedWith, long version, long staleness,
    LinkedHashMap<String, Double> metrics, String sampleText, boolean sampleCorrect) implements WireMessage {}
