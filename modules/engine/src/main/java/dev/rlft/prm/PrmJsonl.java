package dev.rlft.prm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rlft.data.DatasetException;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * PRM labels as JSON lines: {@code {"id", "problem", "steps": [...], "soft": [...], "hard": [...]}},
 * soft labels as numbers in [0, 1], hard labels as booleans. Floats are written in their shortest
 * exact form, so a written file reads back bit for bit.
 */
public final class PrmJsonl {

  /** Numbers read as decimals, so a float goes back through {@link Float#parseFloat} with one rounding. */
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

  private PrmJsonl() {}

  /** Writes {@code examples} to {@code file}, one per line, replacing it. */
  public static void write(Path file, List<PrmExample> examples) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (PrmExample e : examples) {
        out.write(toLine(e));
        out.write('\n');
      }
    }
  }

  /** One example as one line of JSON (no newline). */
  public static String toLine(PrmExample e) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", e.id());
    o.put("problem", e.problem());
    ArrayNode steps = o.putArray("steps");
    e.steps().forEach(steps::add);
    ArrayNode soft = o.putArray("soft");
    for (float s : e.soft()) {
      soft.add(s);
    }
    ArrayNode hard = o.putArray("hard");
    for (boolean h : e.hard()) {
      hard.add(h);
    }
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  /**
   * Reads every example of {@code file}; blank lines are skipped. A malformed line, a missing or
   * mistyped field, a label out of range or a repeated id is a {@link DatasetException} naming the
   * file and line.
   */
  public static List<PrmExample> read(Path file) {
    List<PrmExample> out = new ArrayList<>();
    Map<String, Long> lineOfId = new HashMap<>();
    long lineNumber = 0;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        lineNumber++;
        if (line.isBlank()) {
          continue;
        }
        PrmExample e = parse(file, lineNumber, line);
        Long first = lineOfId.putIfAbsent(e.id(), lineNumber);
        if (first != null) {
          throw DatasetException.atLine(
              file, lineNumber, "duplicate id \"" + e.id() + "\" (first on line " + first + ")");
        }
        out.add(e);
      }
    } catch (IOException e) {
      throw DatasetException.inFile(file, "cannot read: " + e.getMessage(), e);
    }
    return List.copyOf(out);
  }

  private static PrmExample parse(Path file, long lineNumber, String line) {
    JsonNode o;
    try {
      o = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw DatasetException.atLine(file, lineNumber, "malformed JSON: " + e.getOriginalMessage(), e);
    }
    if (o == null || !o.isObject()) {
      throw DatasetException.atLine(file, lineNumber, "not a JSON object");
    }
    String id = text(file, lineNumber, o, "id");
    String problem = text(file, lineNumber, o, "problem");
    JsonNode steps = array(file, lineNumber, o, "steps");
    JsonNode soft = array(file, lineNumber, o, "soft");
    JsonNode hard = array(file, lineNumber, o, "hard");
    List<String> stepList = new ArrayList<>();
    for (JsonNode s : steps) {
      if (!s.isTextual()) {
        throw DatasetException.atLine(file, lineNumber, "\"steps\" must hold strings");
      }
      stepList.add(s.asText());
    }
    float[] softArr = new float[soft.size()];
    for (int i = 0; i < softArr.length; i++) {
      if (!soft.get(i).isNumber()) {
        throw DatasetException.atLine(file, lineNumber, "\"soft\" must hold numbers");
      }
      softArr[i] = Float.parseFloat(soft.get(i).decimalValue().toString());
    }
    boolean[] hardArr = new boolean[hard.size()];
    for (int i = 0; i < hardArr.length; i++) {
      if (!hard.get(i).isBoolean()) {
        throw DatasetException.atLine(file, lineNumber, "\"hard\" must hold booleans");
      }
      hardArr[i] = hard.get(i).booleanValue();
    }
    try {
      return new PrmExample(id, problem, stepList, softArr, hardArr);
    } catch (IllegalArgumentException e) {
      throw DatasetException.atLine(file, lineNumber, e.getMessage(), e);
    }
  }

  private static String text(Path file, long line, JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || !v.isTextual()) {
      throw DatasetException.atLine(file, line, "missing or non-string \"" + field + "\"");
    }
    return v.asText();
  }

  private static JsonNode array(Path file, long line, JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || !v.isArray()) {
      throw DatasetException.atLine(file, line, "missing or non-array \"" + field + "\"");
    }
    return v;
  }
}
