import { MemoryCertificateStore } from "../../core/certificate/certificate-store-memory.js";
import { certificateStoreContract } from "./certificate-store.contract.js";

certificateStoreContract("memory", {
  async create() {
    const store = new MemoryCertificateStore();
    return { store, cleanup: () => store.close() };
  },
});
