import { MemoryCertificateStore } from "../../core/certificate/certificate-store-memory.js";
import { certificateStoreContract } from "./certificate-store.contract.js";

certificateStoreContract("memory", {
  async create() {
    const store = new MemoryCertificateStore();
    return { store, cleanup: () => store.close() };
  },
  noPeer: "a MemoryCertificateStore is one process's own copy, so there is no second instance to share with (the Redis store runs these cases)",
});
