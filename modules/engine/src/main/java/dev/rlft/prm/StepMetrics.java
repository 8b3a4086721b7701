package dev.rlft.prm;

import java.util.Arrays;
import java.util.Comparator;

/** How well step scores separate good steps from bad ones. */
public final class StepMetrics {

  private StepMetrics() {}

  /**
   * Share of steps whose thresholded score matches the label: a step is called good when its
   * score is at least {@code threshold}. NaN for no steps.
   */
  public static double accuracy(float[] scores, boolean[] labels, float threshold) {
    check(scores, labels);
    if (scores.length == 0) {
      return Double.NaN;
    }
    int right = 0;
    for (int i = 0; i < scores.length; i++) {
      if ((scores[i] >= threshold) == labels[i]) {
        right++;
      }
    }
    return right / (double) scores.length;
  }

  /**
   * Area under the ROC curve: the probability that a random good step scores above a random bad
   * one, ties counting one half (the Mann-Whitney U statistic over n_good * n_bad, from midranks).
   * NaN when either class is absent.
   */
  public static double auc(float[] scores, boolean[] labels) {
    check(scores, labels);
    int n = scores.length;
    long good = 0;
    for (boolean l : labels) {
      if (l) {
        good++;
      }
    }
    long bad = n - good;
    if (good == 0 || bad == 0) {
      return Double.NaN;
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
    double rankSumGood = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      double midrank = (i + j) / 2.0 + 1; // 1-based
      for (int r = i; r <= j; r++) {
        if (labels[order[r]]) {
          rankSumGood += midrank;
        }
      }
      i = j + 1;
    }
    double u = rankSumGood - good * (good + 1) / 2.0;
    return u / ((double) good * bad);
  }

  private static void check(float[] scores, boolean[] labels) {
    if (scores.length != labels.length) {
      throw new IllegalArgumentException(scores.length + " scores but " + labels.length + " labels");
    }
  }
}
