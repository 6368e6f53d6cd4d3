package kstream.connect.blob;

import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The container, through the Azure Storage SDK; every failure names the account, the container and the blob. */
final class BlobStore {

  /** A problem with a configuration key (reported by Connector.validate and as a task failure). */
  static final class Problem extends RuntimeException {
    final String key;

    Problem(String key, String message, Throwable cause) {
      super(message, cause);
      this.key = key;
    }
  }

  private final BlobServiceClient service;
  private final BlobContainerClient container;
  private final String where;

  BlobStore(AvroBlobSourceConfig config) {
    try {
      service = new BlobServiceClientBuilder()
          .connectionString(config.connectionString())
          .retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 3,
              Duration.ofMillis(config.retryTimeoutMs()), Duration.ofMillis(500), Duration.ofSeconds(4), null))
          .buildClient();
    } catch (RuntimeException e) {
      throw new Problem(AvroBlobSourceConfig.CONNECTION_STRING,
          "azblob.connection.string is not a usable Azure Storage connection string: " + e.getMessage(), e);
    }
    container = service.getBlobContainerClient(config.container());
    where = "container '" + config.container() + "' of storage account '" + service.getAccountName() + "' ("
        + service.getAccountUrl() + ")";
  }

  String where() {
    return where;
  }

  String accountName() {
    return service.getAccountName();
  }

  /** Checks that the credentials work and the container exists. */
  void check() {
    boolean exists;
    try {
      exists = container.exists();
    } catch (BlobStorageException e) {
      throw translate(e, "checking " + where);
    } catch (RuntimeException e) {
      throw new Problem(AvroBlobSourceConfig.CONNECTION_STRING,
          "cannot reach " + where + ": " + rootMessage(e), e);
    }
    if (!exists) {
      throw new Problem(AvroBlobSourceConfig.CONTAINER, "there is no " + where, null);
    }
  }

  List<String> list(String prefix) {
    List<String> names = new ArrayList<>();
    try {
      for (BlobItem item : container.listBlobs(new ListBlobsOptions().setPrefix(prefix), null)) {
        names.add(item.getName());
      }
    } catch (BlobStorageException e) {
      throw translate(e, "listing '" + prefix + "' in " + where);
    } catch (RuntimeException e) {
      throw new Problem(AvroBlobSourceConfig.CONNECTION_STRING,
          "cannot list '" + prefix + "' in " + where + ": " + rootMessage(e), e);
    }
    return names;
  }

  byte[] download(String name) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      container.getBlobClient(name).downloadStreamWithResponse(out, null, null, null, false, null, Context.NONE);
      return out.toByteArray();
    } catch (BlobStorageException e) {
      throw translate(e, "downloading '" + name + "' from " + where);
    } catch (RuntimeException e) {
      throw new Problem(AvroBlobSourceConfig.CONNECTION_STRING,
          "cannot download '" + name + "' from " + where + ": " + rootMessage(e), e);
    }
  }

  private Problem translate(BlobStorageException e, String doing) {
    int status = e.getStatusCode();
    String code = e.getErrorCode() == null ? "" : e.getErrorCode().toString();
    if (status == 403 || status == 401) {
      return new Problem(AvroBlobSourceConfig.CONNECTION_STRING,
          "the storage account rejected the key in azblob.connection.string while " + doing + " (HTTP " + status
              + " " + code + ")", e);
    }
    if ("ContainerNotFound".equals(code)) {
      return new Problem(AvroBlobSourceConfig.CONTAINER, "there is no " + where, e);
    }
    return new Problem(AvroBlobSourceConfig.CONNECTION_STRING,
        "storage error while " + doing + ": HTTP " + status + " " + code, e);
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
