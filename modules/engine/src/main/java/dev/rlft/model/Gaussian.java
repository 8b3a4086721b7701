package dev.rlft.model;

import java.util.SplittableRandom;

/** Standard normal draws from a seeded {@link SplittableRandom} (Box-Muller), for weight initialisation. */
public final class Gaussian {

  private Gaussian() {}

  public static double next(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
}
