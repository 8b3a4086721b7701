package dev.rlft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class ArithmeticTaskConfigTest {

  @Test
  void defaults_documentedValues() {
    assertEquals(
        new ArithmeticTaskConfig(2, 3, 20, 9, 99, 0.2, 20_000, 500), ArithmeticTaskConfig.defaults());
  }

  static Stream<Arguments> invalidConfigs() {
    return Stream.of(
        Arguments.of("minOps must be >= 1, got 0", cfg(0, 3, 20, 9, 99, 0.3, 10, 10)),
        Arguments.of("maxOps must be >= minOps (3), got 2", cfg(3, 2, 20, 9, 99, 0.3, 10, 10)),
        Arguments.of("maxOps must be <= 20, got 21", cfg(2, 21, 20, 9, 99, 0.3, 10, 10)),
        Arguments.of("maxOperand must be >= 1, got 0", cfg(2, 3, 0, 9, 99, 0.3, 10, 10)),
        Arguments.of("maxStep must be >= 1, got 0", cfg(2, 3, 20, 0, 99, 0.3, 10, 10)),
        Arguments.of("maxValue must be >= maxOperand (20), got 19", cfg(2, 3, 20, 9, 19, 0.3, 10, 10)),
        Arguments.of("maxValue must be <= 1000000, got 1000001", cfg(2, 3, 20, 9, 1_000_001, 0.3, 10, 10)),
        Arguments.of("flawRate must be in [0, 1], got 1.5", cfg(2, 3, 20, 9, 99, 1.5, 10, 10)),
        Arguments.of("flawRate must be in [0, 1], got NaN", cfg(2, 3, 20, 9, 99, Double.NaN, 10, 10)),
        Arguments.of("trainSize must be >= 1, got 0", cfg(2, 3, 20, 9, 99, 0.3, 0, 10)),
        Arguments.of("heldOutSize must be >= 1, got -1", cfg(2, 3, 20, 9, 99, 0.3, 10, -1)));
  }

  private static Supplier<ArithmeticTaskConfig> cfg(
      int minOps, int maxOps, int maxOperand, int maxStep, int maxValue, double flawRate,
      int trainSize, int heldOutSize) {
    return () -> new ArithmeticTaskConfig(
        minOps, maxOps, maxOperand, maxStep, maxValue, flawRate, trainSize, heldOutSize);
  }

  @ParameterizedTest
  @MethodSource("invalidConfigs")
  void constructor_invalidField_throwsNamingFieldAndValue(
      String message, Supplier<ArithmeticTaskConfig> config) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, config::get);
    assertEquals(message, e.getMessage());
  }

  @Test
  void fromConfig_partialHocon_fillsDefaults() {
    ArithmeticTaskConfig config =
        ArithmeticTaskConfig.fromConfig(
            ConfigFactory.parseString("max-ops = 4\nflaw-rate = 0\nheld-out-size = 50"));
    assertEquals(new ArithmeticTaskConfig(2, 4, 20, 9, 99, 0.0, 20_000, 50), config);
  }

  @Test
  void fromConfig_outOfRange_throwsNamingField() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ArithmeticTaskConfig.fromConfig(ConfigFactory.parseString("min-ops = 5")));
    assertEquals("maxOps must be >= minOps (5), got 3", e.getMessage());
  }
}
