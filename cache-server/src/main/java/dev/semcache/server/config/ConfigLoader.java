package dev.semcache.server.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Builds the {@link ServerConfig} from four layers, each overriding the one before:
 *
 * <ol>
 *   <li>the built-in defaults ({@link ServerConfig#defaults()});
 *   <li>a YAML file ({@code --config FILE} or {@code SEMCACHE_CONFIG});
 *   <li>environment variables: every scalar key has one, {@code SEMCACHE_} followed by its path in upper
 *       case with {@code _} between the parts ({@code http.max_body_bytes} is {@code
 *       SEMCACHE_HTTP_MAX_BODY_BYTES}); {@code api_keys} only comes from the file;
 *   <li>command-line flags ({@code --host}, {@code --port}, {@code --data-dir}, {@code --model}).
 * </ol>
 *
 * An unknown key in the file, an unknown {@code SEMCACHE_*} variable and a value of the wrong type are
 * errors that name the key and where it came from: a typo must not silently leave a default in place.
 */
public final class ConfigLoader {
  /** Variables the launcher and the logging set-up read; they are not config keys. */
  static final Set<String> LAUNCHER_VARIABLES = Set.of("SEMCACHE_CONFIG", "SEMCACHE_JAVA_OPTS",
      "SEMCACHE_JDK_SEARCH_PATH", "SEMCACHE_NO_BUILD", "SEMCACHE_LOG_LEVEL");

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

  private ConfigLoader() {}

  /**
   * @param file the YAML file, or null for none
   * @param env the environment (System.getenv() in production)
   * @param flags overrides from the command line, by dotted key ({@code "port"}, {@code "data_dir"})
   * @throws ConfigException naming the bad key, value and source
   */
  public static ServerConfig load(Path file, Map<String, String> env, Map<String, Object> flags) {
    ObjectNode tree = JSON.valueToTree(ServerConfig.defaults());
    Path configFile = file;
    if (configFile == null && env.get("SEMCACHE_CONFIG") != null && !env.get("SEMCACHE_CONFIG").isBlank()) {
      configFile = Path.of(env.get("SEMCACHE_CONFIG"));
    }
    String source = "defaults";
    if (configFile != null) {
      source = "config file " + configFile;
      JsonNode fromFile = readFile(configFile);
      if (!fromFile.isMissingNode() && !fromFile.isNull()) {
        if (!fromFile.isObject()) {
          throw new ConfigException("config file " + configFile + " must hold a mapping of keys to values");
        }
        mergeInto(tree, (ObjectNode) fromFile, "", configFile.toString());
      }
    }
    applyEnvironment(tree, env);
    for (var f : flags.entrySet()) {
      if (f.getValue() != null) {
        setPath(tree, f.getKey(), JSON.valueToTree(f.getValue()));
      }
    }
    try {
      return JSON.treeToValue(tree, ServerConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException("unknown config key '" + path(e) + "' (from " + source + " or the environment);"
          + " known keys there: " + e.getKnownPropertyIds(), e);
    } catch (JsonMappingException e) {
      throw new ConfigException("invalid config value at '" + path(e) + "': " + rootMessage(e), e);
    } catch (JsonProcessingException e) {
      throw new ConfigException("invalid config: " + e.getOriginalMessage(), e);
    }
  }

  /** Loads with the process's environment. */
  public static ServerConfig load(Path file, Map<String, Object> flags) {
    return load(file, System.getenv(), flags);
  }

  /** The names of every environment variable that sets a key, with the key. */
  public static Map<String, String> environmentVariables() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String key : scalarKeys(JSON.valueToTree(ServerConfig.defaults()), "")) {
      out.put(variableFor(key), key);
    }
    return out;
  }

  /** The config as YAML, for the log at start; key hashes are shortened. */
  public static String describe(ServerConfig config) {
    ObjectNode tree = JSON.valueToTree(config);
    for (JsonNode k : tree.withArray("api_keys")) {
      String h = k.path("sha256").asText();
      ((ObjectNode) k).put("sha256", h.substring(0, Math.min(8, h.length())) + "...");
    }
    try {
      return YAML.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode readFile(Path file) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      if (bytes.length == 0) {
        return JSON.missingNode();
      }
      return YAML.readTree(bytes);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + " does not exist", e);
    } catch (JsonProcessingException e) {
      throw new ConfigException("config file " + file + " is not valid YAML: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Deep merge: objects merge key by key, anything else replaces; a key the defaults lack is an error. */
  private static void mergeInto(ObjectNode target, ObjectNode source, String prefix, String origin) {
    for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
      var f = it.next();
      String key = prefix + f.getKey();
      JsonNode existing = target.get(f.getKey());
      if (existing == null) {
        throw new ConfigException("unknown config key '" + key + "' in " + origin + "; known keys"
            + (prefix.isEmpty() ? "" : " under '" + prefix.substring(0, prefix.length() - 1) + "'") + ": "
            + fieldNames(target));
      }
      if (existing.isObject() && f.getValue().isObject()) {
        mergeInto((ObjectNode) existing, (ObjectNode) f.getValue(), key + ".", origin);
      } else {
        target.set(f.getKey(), f.getValue());
      }
    }
  }

  private static void applyEnvironment(ObjectNode tree, Map<String, String> env) {
    Map<String, String> known = new LinkedHashMap<>();
    for (String key : scalarKeys(tree, "")) {
      known.put(variableFor(key), key);
    }
    List<String> unknown = new ArrayList<>();
    for (var e : env.entrySet()) {
      String name = e.getKey();
      if (!name.startsWith("SEMCACHE_") || LAUNCHER_VARIABLES.contains(name)) {
        continue;
      }
      String key = known.get(name);
      if (key == null) {
        unknown.add(name);
      } else {
        setPath(tree, key, TextNode.valueOf(e.getValue()));
      }
    }
    if (!unknown.isEmpty()) {
      throw new ConfigException("unknown environment variable" + (unknown.size() > 1 ? "s " : " ")
          + String.join(", ", new TreeSet<>(unknown)) + "; semcache reads " + String.join(", ", known.keySet())
          + " and the launcher's " + String.join(", ", new TreeSet<>(LAUNCHER_VARIABLES)));
    }
  }

  static String variableFor(String key) {
    return "SEMCACHE_" + key.replace('.', '_').toUpperCase(Locale.ROOT);
  }

  private static List<String> scalarKeys(ObjectNode node, String prefix) {
    List<String> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      var f = it.next();
      if (f.getValue().isObject()) {
        out.addAll(scalarKeys((ObjectNode) f.getValue(), prefix + f.getKey() + "."));
      } else if (!(f.getValue() instanceof ArrayNode)) {
        out.add(prefix + f.getKey());
      }
    }
    return out;
  }

  private static void setPath(ObjectNode tree, String dotted, JsonNode value) {
    String[] parts = dotted.split("\\.");
    ObjectNode node = tree;
    for (int i = 0; i < parts.length - 1; i++) {
      node = (ObjectNode) node.get(parts[i]);
    }
    node.set(parts[parts.length - 1], value);
  }

  private static String fieldNames(ObjectNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return String.join(", ", names);
  }

  private static String path(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : String.valueOf(r.getIndex()))
        .collect(Collectors.joining("."));
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t instanceof JsonProcessingException j ? j.getOriginalMessage() : t.getMessage();
  }
}
