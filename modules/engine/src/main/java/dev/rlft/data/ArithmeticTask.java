package dev.rlft.data;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import java.util.Set;

/**
 * The embedded training task: seeded multi-step arithmetic word problems, short enough for a tiny
 * character-level model on a CPU.
 *
 * <p>A problem is a start amount followed by {@code minOps..maxOps} operations: add {@code
 * 1..maxStep}, subtract {@code 1..maxStep} (never below 0), or at most once multiply by 2 or 3; every
 * true intermediate value stays within {@code 0..maxValue}. For example:
 *
 * <pre>
 * problem:  Ann has 7 apples. She buys 5 more. She eats 3. How many apples now?
 * solution: 7+5=12\n\n12-3=9\n\n\boxed{9}
 * answer:   9
 * </pre>
 *
 * <p><b>Flawed references.</b> In the training split each reference step is, with probability
 * {@code flawRate}, written with a result off by 1, 2 or 10 (never negative); later steps continue
 * correctly from the wrong value, so the boxed answer is wrong while {@link Problem#answer()} always
 * holds the truth. Imitating the references therefore has a ceiling that a correctness reward can
 * break, as with real chain-of-thought data. A flaw is never chosen so that it cancels earlier ones:
 * a reference has a flaw exactly when its boxed answer is wrong. Held-out references have no flaws.
 *
 * <p><b>Splits.</b> Whether a problem is held out depends only on its canonical form (start and
 * operations, e.g. {@code 7+5-3}, not names or wording): a stable hash puts one in ten canonical
 * problems in the held-out split. So no held-out problem appears in training, whatever the seeds.
 * The training split may repeat a problem; the held-out split never does. Both are deterministic for
 * a seed (they use {@link Random}, whose algorithm the Java specification fixes).
 */
public final class ArithmeticTask implements ProblemSource {

  /** Which side of the held-out hash a task draws from. */
  public enum Split {
    TRAIN("train"),
    HELD_OUT("heldout");

    private final String label;

    Split(String label) {
      this.label = label;
    }

    /** The split's spelling in ids and names, e.g. {@code heldout}. */
    public String label() {
      return label;
    }
  }

  private static final int HELD_OUT_BUCKETS = 10;

  /** Draws in a row that may fail to yield a new problem before the config is deemed too small. */
  private static final int MAX_FUTILE_DRAWS = 100_000;

  private static final int[] FLAW_OFFSETS = {-10, -2, -1, 1, 2, 10};

  private static final String[][] NAMES = {
    {"Ann", "She"}, {"Bob", "He"}, {"Sue", "She"}, {"Tom", "He"}, {"Amy", "She"}, {"Ben", "He"},
    {"Eve", "She"}, {"Max", "He"}, {"Kim", "She"}, {"Sam", "He"}, {"Liz", "She"}, {"Joe", "He"}
  };

  /** Items as singular nouns; each plural adds an "s". */
  private static final String[] FOODS = {"apple", "egg", "plum", "nut"};

  private static final String[] THINGS = {"pen", "card", "coin", "book", "toy", "cup", "shell"};

  private final ArithmeticTaskConfig config;
  private final Split split;
  private final long seed;
  private final int size;

  private ArithmeticTask(ArithmeticTaskConfig config, Split split, long seed, int size) {
    this.config = Objects.requireNonNull(config, "config");
    this.split = Objects.requireNonNull(split, "split");
    if (size < 1) {
      throw new IllegalArgumentException("size must be >= 1, got " + size);
    }
    this.seed = seed;
    this.size = size;
  }

  /** The training split: {@code config.trainSize()} problems, references flawed at {@code flawRate}. */
  public static ArithmeticTask train(ArithmeticTaskConfig config, long seed) {
    return new ArithmeticTask(config, Split.TRAIN, seed, config.trainSize());
  }

  /** The held-out split: {@code config.heldOutSize()} distinct problems, references unflawed. */
  public static ArithmeticTask heldOut(ArithmeticTaskConfig config, long seed) {
    return heldOut(config, seed, config.heldOutSize());
  }

  /** The held-out split with {@code n} distinct problems. */
  public static ArithmeticTask heldOut(ArithmeticTaskConfig config, long seed, int n) {
    return new ArithmeticTask(config, Split.HELD_OUT, seed, n);
  }

  public Split split() {
    return split;
  }

  /** How many problems {@link #load()} returns. */
  public int size() {
    return size;
  }

  @Override
  public String name() {
    return "arith-" + split.label();
  }

  /**
   * Generates the split's problems, ids {@code arith-<split>-000000} onwards.
   *
   * @throws IllegalArgumentException if the config admits too few problems for the split's size
   *     (no new one in 100,000 draws)
   */
  @Override
  public List<Problem> load() {
    Random random = new Random(mix(seed ^ (split == Split.TRAIN ? 0x5452L : 0x484fL)));
    Set<String> seen = new HashSet<>();
    List<Problem> problems = new ArrayList<>(size);
    int futile = 0;
    while (problems.size() < size) {
      Draft draft = draw(random);
      String canonical = draft.canonical();
      boolean wanted =
          isHeldOut(canonical) == (split == Split.HELD_OUT)
              && (split == Split.TRAIN || seen.add(canonical));
      if (!wanted) {
        if (++futile >= MAX_FUTILE_DRAWS) {
          throw new IllegalArgumentException(
              "arithmetic task config admits too few "
                  + split.label()
                  + " problems: found "
                  + problems.size()
                  + " of "
                  + size
                  + " ("
                  + config
                  + ")");
        }
        continue;
      }
      futile = 0;
      String id = String.format(Locale.ROOT, "arith-%s-%06d", split.label(), problems.size());
      problems.add(render(id, draft, random));
    }
    return List.copyOf(problems);
  }

  /**
   * Whether the problem with canonical form {@code canonical} (e.g. {@code 7+5-3*2}) belongs to the
   * held-out split: bucket 0 of 10 of a 64-bit FNV-1a hash, finalised with MurmurHash3's mixer.
   */
  static boolean isHeldOut(String canonical) {
    long hash = 0xcbf29ce484222325L;
    for (int i = 0; i < canonical.length(); i++) {
      hash ^= canonical.charAt(i);
      hash *= 0x100000001b3L;
    }
    return Long.remainderUnsigned(mix(hash), HELD_OUT_BUCKETS) == 0;
  }

  private Draft draw(Random random) {
    int value = 1 + random.nextInt(config.maxOperand());
    int start = value;
    int count = config.minOps() + random.nextInt(config.maxOps() - config.minOps() + 1);
    List<Op> ops = new ArrayList<>(count);
    boolean multiplied = false;
    for (int i = 0; i < count; i++) {
      int canAdd = value < config.maxValue() ? 2 : 0;
      int canSubtract = value >= 1 ? 2 : 0;
      int canMultiply = !multiplied && value >= 1 && value * 2 <= config.maxValue() ? 1 : 0;
      int pick = random.nextInt(canAdd + canSubtract + canMultiply);
      Op op;
      if (pick < canAdd) {
        op = new Op('+', 1 + random.nextInt(Math.min(config.maxStep(), config.maxValue() - value)));
      } else if (pick < canAdd + canSubtract) {
        op = new Op('-', 1 + random.nextInt(Math.min(config.maxStep(), value)));
      } else {
        int factor = value * 3 <= config.maxValue() && random.nextBoolean() ? 3 : 2;
        op = new Op('*', factor);
        multiplied = true;
      }
      value = op.apply(value);
      ops.add(op);
    }
    return new Draft(start, List.copyOf(ops));
  }

  private Problem render(String id, Draft draft, Random random) {
    String[] person = NAMES[random.nextInt(NAMES.length)];
    boolean food = random.nextInt(FOODS.length + THINGS.length) < FOODS.length;
    String item = food ? FOODS[random.nextInt(FOODS.length)] : THINGS[random.nextInt(THINGS.length)];
    String pronoun = person[1];

    StringBuilder text = new StringBuilder();
    text.append(person[0]).append(" has ").append(draft.start()).append(' ').append(item);
    text.append(draft.start() == 1 ? "." : "s.");
    for (Op op : draft.ops()) {
      text.append(' ').append(pronoun).append(' ').append(phrase(op, food, random)).append('.');
    }
    text.append(" How many ").append(item).append("s now?");

    StringBuilder solution = new StringBuilder();
    int written = draft.start();
    int truth = draft.start();
    List<Op> ops = draft.ops();
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      int result = op.apply(written);
      truth = op.apply(truth);
      if (split == Split.TRAIN && random.nextDouble() < config.flawRate()) {
        result += flawOffset(result, truth, ops.subList(i + 1, ops.size()), random);
      }
      solution.append(written).append(op.symbol()).append(op.operand()).append('=').append(result);
      solution.append("\n\n");
      written = result;
    }
    solution.append("\\boxed{").append(written).append('}');
    return new Problem(id, text.toString(), solution.toString(), Integer.toString(truth));
  }

  /**
   * A flaw for a step whose correct result (from the written chain) is {@code result}: an offset
   * that keeps this and every later written value non-negative and does not bring the written value
   * back to the {@code truth}, so the flaw cannot cancel earlier ones. A positive offset always
   * qualifies except the one equal to {@code truth - result}, so one always exists.
   */
  private static int flawOffset(int result, int truth, List<Op> rest, Random random) {
    int[] valid = new int[FLAW_OFFSETS.length];
    int n = 0;
    for (int offset : FLAW_OFFSETS) {
      if (result + offset != truth && staysNonNegative(result + offset, rest)) {
        valid[n++] = offset;
      }
    }
    return valid[random.nextInt(n)];
  }

  private static boolean staysNonNegative(int value, List<Op> rest) {
    if (value < 0) {
      return false;
    }
    for (Op op : rest) {
      value = op.apply(value);
      if (value < 0) {
        return false;
      }
    }
    return true;
  }

  private static String phrase(Op op, boolean food, Random random) {
    int n = op.operand();
    return switch (op.symbol()) {
      case '+' -> switch (random.nextInt(3)) {
        case 0 -> "buys " + n + " more";
        case 1 -> "finds " + n;
        default -> "gets " + n;
      };
      case '-' -> switch (random.nextInt(food ? 3 : 2)) {
        case 0 -> "gives away " + n;
        case 1 -> "loses " + n;
        default -> "eats " + n;
      };
      default -> n == 2 ? "doubles them" : "triples them";
    };
  }

  /** SplitMix64's / MurmurHash3's 64-bit finaliser. */
  private static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }

  /** One operation: {@code +n}, {@code -n} or {@code *n}. */
  private record Op(char symbol, int operand) {
    int apply(int value) {
      return switch (symbol) {
        case '+' -> value + operand;
        case '-' -> value - operand;
        default -> value * operand;
      };
    }
  }

  /** A problem's numbers before wording: the start amount and the operations. */
  private record Draft(int start, List<Op> ops) {
    String canonical() {
      StringBuilder s = new StringBuilder().append(start);
      for (Op op : ops) {
        s.append(op.symbol()).append(op.operand());
      }
      return s.toString();
    }
  }
}
