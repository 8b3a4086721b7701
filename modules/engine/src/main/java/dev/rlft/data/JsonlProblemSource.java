package dev.rlft.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Reads problems from a JSONL file (one JSON object per line, UTF-8) in one of the {@link
 * JsonlFormat}s.
 *
 * <ul>
 *   <li>{@link JsonlFormat#RLFT}: {@code {"id"?, "problem", "solution"?, "answer"}}. A missing
 *       {@code id} defaults to {@code <file-stem>-<line>}, a missing {@code solution} to {@code ""}.
 *   <li>{@link JsonlFormat#GSM8K}: {@code {"question", "answer"}} where {@code answer} is the
 *       reasoning followed by {@code #### <final answer>}. The answer becomes the text after the last
 *       {@code ####}, trimmed, commas removed; the solution becomes one step per non-empty reasoning
 *       line, the {@code <<48/2=24>>} calculator annotations removed, then {@code \boxed{answer}} as
 *       the last step.
 *   <li>{@link JsonlFormat#MATH}: {@code {"problem", "solution", "answer", "unique_id"?, ...}}; the
 *       id is {@code unique_id}, else {@code id}, else {@code <file-stem>-<line>}.
 *   <li>{@link JsonlFormat#AUTO} chooses per line: a {@code question} field means GSM8K, a {@code
 *       unique_id} field MATH, anything else RLFT.
 * </ul>
 *
 * <p>Blank lines are skipped, other fields ignored, and {@code answer} may be a JSON number as well
 * as a string. Anything else wrong (malformed JSON, a missing, blank or mistyped field, a repeated
 * id, invalid UTF-8, a missing file) raises a {@link DatasetException} naming the file and line.
 */
public final class JsonlProblemSource implements ProblemSource {

  /** The {@code limit} that reads the whole file. */
  public static final int UNLIMITED = Integer.MAX_VALUE;

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  /** GSM8K's calculator annotation, e.g. {@code <<48/2=24>>}. */
  private static final Pattern CALCULATOR = Pattern.compile("<<[^<>]*>>");

  private static final String GSM8K_MARK = "####";

  private final Path path;
  private final JsonlFormat format;
  private final int limit;

  /** Reads all of {@code path}, detecting the format per line. */
  public JsonlProblemSource(Path path) {
    this(path, JsonlFormat.AUTO, UNLIMITED);
  }

  /**
   * Reads at most {@code limit} problems from {@code path} in {@code format}.
   *
   * @param limit the most problems to read, at least 1; {@link #UNLIMITED} for all
   */
  public JsonlProblemSource(Path path, JsonlFormat format, int limit) {
    this.path = Objects.requireNonNull(path, "path");
    this.format = Objects.requireNonNull(format, "format");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1, got " + limit);
    }
    this.limit = limit;
  }

  @Override
  public String name() {
    return path.toString();
  }

  @Override
  public List<Problem> load() {
    List<Problem> problems = new ArrayList<>();
    Map<String, Long> lineOfId = new HashMap<>();
    long lineNumber = 0;
    try (LineReader lines = new LineReader(Files.newInputStream(path))) {
      byte[] bytes;
      while (problems.size() < limit && (bytes = lines.next()) != null) {
        lineNumber++;
        String line = decode(bytes, lineNumber);
        if (lineNumber == 1 && line.startsWith("\uFEFF")) {
          line = line.substring(1);
        }
        if (line.isBlank()) {
          continue;
        }
        Problem problem = parse(line, lineNumber);
        Long first = lineOfId.putIfAbsent(problem.id(), lineNumber);
        if (first != null) {
          throw DatasetException.atLine(
              path, lineNumber, "duplicate id \"" + problem.id() + "\" (first on line " + first + ")");
        }
        problems.add(problem);
      }
    } catch (NoSuchFileException e) {
      throw DatasetException.inFile(path, "no such file", e);
    } catch (AccessDeniedException e) {
      throw DatasetException.inFile(path, "permission denied", e);
    } catch (IOException e) {
      throw DatasetException.inFile(path, "cannot read: " + e.getMessage(), e);
    }
    return List.copyOf(problems);
  }

  private String decode(byte[] bytes, long lineNumber) {
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw DatasetException.atLine(path, lineNumber, "not valid UTF-8", e);
    }
  }

  private Problem parse(String line, long lineNumber) {
    JsonNode node;
    try (JsonParser parser = JSON.createParser(line)) {
      node = JSON.readTree(parser);
      if (parser.nextToken() != null) {
        throw DatasetException.atLine(
            path,
            lineNumber,
            "malformed JSON at column "
                + parser.currentTokenLocation().getColumnNr()
                + ": unexpected text after the JSON value");
      }
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String column = at == null || at.getColumnNr() < 1 ? "" : " at column " + at.getColumnNr();
      throw DatasetException.atLine(
          path, lineNumber, "malformed JSON" + column + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("reading a string cannot fail", e);
    }
    if (!node.isObject()) {
      throw DatasetException.atLine(
          path, lineNumber, "expected a JSON object, got " + typeName(node));
    }
    Fields fields = new Fields(node, lineNumber);
    JsonlFormat lineFormat = format == JsonlFormat.AUTO ? detect(node) : format;
    String defaultId = stem() + "-" + lineNumber;
    try {
      return switch (lineFormat) {
        case GSM8K -> gsm8k(fields, defaultId);
        case MATH -> new Problem(
            firstNonNull(fields.optionalId("unique_id"), fields.optionalId("id"), defaultId),
            fields.requiredText("problem"),
            fields.optionalText("solution"),
            fields.answer("answer"));
        case RLFT -> new Problem(
            firstNonNull(fields.optionalId("id"), defaultId),
            fields.requiredText("problem"),
            fields.optionalText("solution"),
            fields.answer("answer"));
        case AUTO -> throw new IllegalStateException("AUTO must be resolved per line");
      };
    } catch (IllegalArgumentException e) {
      // The field checks already reject what Problem rejects; this keeps the one-error contract
      // should Problem's validation grow.
      throw DatasetException.atLine(path, lineNumber, e.getMessage(), e);
    }
  }

  private Problem gsm8k(Fields fields, String defaultId) {
    String question = fields.requiredText("question");
    String answerField = fields.requiredText("answer");
    int mark = answerField.lastIndexOf(GSM8K_MARK);
    if (mark < 0) {
      throw fields.error("field \"answer\" has no \"" + GSM8K_MARK + "\" final answer");
    }
    String answer = answerField.substring(mark + GSM8K_MARK.length()).replace(",", "").strip();
    if (answer.isEmpty()) {
      throw fields.error("field \"answer\" has nothing after \"" + GSM8K_MARK + "\"");
    }
    return new Problem(
        firstNonNull(fields.optionalId("id"), defaultId),
        question,
        gsm8kSolution(answerField.substring(0, mark), answer),
        answer);
  }

  /** GSM8K reasoning in our shape: one step per non-empty line, then the boxed answer. */
  static String gsm8kSolution(String reasoning, String answer) {
    List<String> steps = new ArrayList<>();
    for (String line : CALCULATOR.matcher(reasoning).replaceAll("").split("\\R")) {
      String step = line.strip();
      if (!step.isEmpty()) {
        steps.add(step);
      }
    }
    steps.add("\\boxed{" + answer + "}");
    return String.join("\n\n", steps);
  }

  private static String firstNonNull(String... candidates) {
    for (String candidate : candidates) {
      if (candidate != null) {
        return candidate;
      }
    }
    throw new IllegalStateException("no candidate id");
  }

  private static JsonlFormat detect(JsonNode node) {
    if (node.has("question")) {
      return JsonlFormat.GSM8K;
    }
    return node.has("unique_id") ? JsonlFormat.MATH : JsonlFormat.RLFT;
  }

  private String stem() {
    Path fileName = path.getFileName();
    String name = fileName == null ? "line" : fileName.toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 ? name.substring(0, dot) : name;
  }

  private static String typeName(JsonNode node) {
    return node.getNodeType().name().toLowerCase(Locale.ROOT);
  }

  /** Typed access to one line's fields, failing with the line's position. */
  private final class Fields {
    private final JsonNode node;
    private final long lineNumber;

    Fields(JsonNode node, long lineNumber) {
      this.node = node;
      this.lineNumber = lineNumber;
    }

    DatasetException error(String detail) {
      return DatasetException.atLine(path, lineNumber, detail);
    }

    String requiredText(String name) {
      JsonNode value = node.get(name);
      if (value == null || value.isNull()) {
        throw error("missing field \"" + name + "\"");
      }
      if (!value.isTextual()) {
        throw error("field \"" + name + "\" must be a string, got " + typeName(value));
      }
      if (value.textValue().isBlank()) {
        throw error("field \"" + name + "\" is blank");
      }
      return value.textValue();
    }

    String optionalText(String name) {
      JsonNode value = node.get(name);
      if (value == null || value.isNull()) {
        return "";
      }
      if (!value.isTextual()) {
        throw error("field \"" + name + "\" must be a string, got " + typeName(value));
      }
      return value.textValue();
    }

    /** A string or integer id, or null when absent. */
    String optionalId(String name) {
      JsonNode value = node.get(name);
      if (value == null || value.isNull()) {
        return null;
      }
      if (value.isIntegralNumber()) {
        return value.bigIntegerValue().toString();
      }
      if (!value.isTextual()) {
        throw error("field \"" + name + "\" must be a string or integer, got " + typeName(value));
      }
      if (value.textValue().isBlank()) {
        throw error("field \"" + name + "\" is blank");
      }
      return value.textValue();
    }

    /** A string, or a JSON number written out exactly ({@code 0.50} stays {@code "0.50"}). */
    String answer(String name) {
      JsonNode value = node.get(name);
      if (value != null && value.isIntegralNumber()) {
        return value.bigIntegerValue().toString();
      }
      if (value != null && value.isNumber()) {
        return value.decimalValue().toPlainString();
      }
      if (value != null && !value.isNull() && !value.isTextual()) {
        throw error("field \"" + name + "\" must be a string or number, got " + typeName(value));
      }
      return requiredText(name);
    }
  }

  /**
   * Splits a stream into lines of raw bytes (on {@code \n}, dropping a preceding {@code \r}), so that
   * each line is decoded on its own and an encoding error is reported on the right line.
   */
  private static final class LineReader implements AutoCloseable {
    private final InputStream in;
    private final byte[] buffer = new byte[1 << 16];
    private int position;
    private int size;
    private boolean eof;

    LineReader(InputStream in) {
      this.in = in;
    }

    /** The next line without its terminator, or null at the end of the stream. */
    byte[] next() throws IOException {
      byte[] line = new byte[256];
      int length = 0;
      boolean any = false;
      while (true) {
        if (position == size) {
          size = eof ? -1 : in.read(buffer);
          position = 0;
          if (size <= 0) {
            eof = true;
            size = 0;
            return any ? withoutCarriageReturn(line, length) : null;
          }
        }
        any = true;
        byte b = buffer[position++];
        if (b == '\n') {
          return withoutCarriageReturn(line, length);
        }
        if (length == line.length) {
          line = Arrays.copyOf(line, length * 2);
        }
        line[length++] = b;
      }
    }

    private static byte[] withoutCarriageReturn(byte[] line, int length) {
      int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
      return Arrays.copyOf(line, end);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
