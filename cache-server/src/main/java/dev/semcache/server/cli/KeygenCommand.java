package dev.semcache.server.cli;

import dev.semcache.server.config.ApiKeyConfig;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code semcache keygen}: a new random API key and the {@code api_keys} entry that admits it. The key
 * is printed once; the config holds only its SHA-256.
 */
@Command(name = "keygen", mixinStandardHelpOptions = true,
    description = {"Make a new API key and print it with the api_keys entry for the config file.",
        "The key is shown once: semcache stores only its SHA-256."})
final class KeygenCommand implements Callable<Integer> {
  @Option(names = "--name", required = true, description = "Who holds the key (appears in logs).")
  String name;

  @Option(names = "--role", defaultValue = "write", description = "read, write or admin (default: ${DEFAULT-VALUE}).")
  String role;

  @Option(names = "--namespace", split = ",", required = true,
      description = "Namespaces the key may use, comma-separated, or '*' for all.")
  List<String> namespaces;

  @Override
  public Integer call() {
    if (!List.of("read", "write", "admin").contains(role)) {
      System.err.println("semcache keygen: --role must be read, write or admin; role=" + role);
      return 2;
    }
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    String key = "sc_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    String hash = HexFormat.of().formatHex(ApiKeyConfig.digest(key));
    System.out.println("# key (give it to the client; it is not stored anywhere):");
    System.out.println("#   " + key);
    System.out.println("# add to the config file:");
    System.out.println("api_keys:");
    System.out.println("  - name: " + name);
    System.out.println("    sha256: " + hash);
    System.out.println("    role: " + role);
    System.out.println("    namespaces: [" + String.join(", ", namespaces.stream().map(n -> "\"" + n + "\"").toList()) + "]");
    return 0;
  }
}
