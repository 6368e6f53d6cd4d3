// The security tests' ACL editor: Kafka's own Java Admin client, one JVM for a whole test
// session (run as a single-file source program on the broker's jars). Debian 12's Python
// client (confluent-kafka 1.7.0) has no ACL calls, and librdkafka 2.0.2 knows no
// TransactionalId resource.
//
//   java -cp '<kafka jars>/*' AclAdmin.java admin.properties
//
// Reads one command per line on stdin and answers one line ("ok ..." or "error ...") each:
//   set <principal> [<resource type>|<pattern type>|<name>|<operation>]...
//       replaces every ACL of User:<principal> by these (allow, any host) and returns once
//       the broker's authorizer holds exactly them; e.g. "set app_scram TOPIC|LITERAL|in|READ".
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;

public class AclAdmin {
  private static final long WAIT_SECONDS = 30;

  public static void main(String[] args) throws Exception {
    Properties properties = new Properties();
    try (FileInputStream in = new FileInputStream(args[0])) {
      properties.load(in);
    }
    try (Admin admin = Admin.create(properties);
         BufferedReader commands = new BufferedReader(new InputStreamReader(System.in))) {
      System.out.println("ready");
      System.out.flush();
      for (String line; (line = commands.readLine()) != null; ) {
        String answer;
        try {
          answer = "ok " + run(admin, line.trim().split("\\s+"));
        } catch (Exception e) {
          answer = "error " + e.toString().replace('\n', ' ');
        }
        System.out.println(answer);
        System.out.flush();
      }
    }
  }

  private static String run(Admin admin, String[] words) throws Exception {
    if (words.length < 2 || !words[0].equals("set"))
      throw new IllegalArgumentException("usage: set <principal> [type|pattern|name|operation]...");
    String principal = "User:" + words[1];
    AclBindingFilter everything = new AclBindingFilter(ResourcePatternFilter.ANY,
        new AccessControlEntryFilter(principal, null, AclOperation.ANY, AclPermissionType.ANY));
    Set<AclBinding> wanted = new HashSet<>();
    for (int i = 2; i < words.length; ++i) {
      String[] part = words[i].split("\\|", -1);
      if (part.length != 4)
        throw new IllegalArgumentException("not type|pattern|name|operation: " + words[i]);
      wanted.add(new AclBinding(
          new ResourcePattern(ResourceType.valueOf(part[0]), part[2], PatternType.valueOf(part[1])),
          new AccessControlEntry(principal, "*", AclOperation.valueOf(part[3]), AclPermissionType.ALLOW)));
    }
    admin.deleteAcls(List.of(everything)).all().get(WAIT_SECONDS, TimeUnit.SECONDS);
    if (!wanted.isEmpty())
      admin.createAcls(new ArrayList<>(wanted)).all().get(WAIT_SECONDS, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    for (;;) {
      Set<AclBinding> held = new HashSet<>(admin.describeAcls(everything).values().get(WAIT_SECONDS, TimeUnit.SECONDS));
      if (held.equals(wanted))
        return held.size() + " ACLs for " + principal;
      if (System.nanoTime() > deadline)
        throw new IllegalStateException("the broker holds " + held + " for " + principal + ", not " + wanted);
      Thread.sleep(100);
    }
  }
}
