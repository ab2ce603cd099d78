import { parentPort, workerData } from "node:worker_threads";
import { probePorts, type ScanShare } from "./port-scan.js";

// Every refused connect makes node build an error whose stack it then formats; nothing in this
// thread reads those stacks, and capturing none is a fifth of a probe's cost on loopback.
Error.stackTraceLimit = 0;

const { host, ports, timeoutMs, concurrency } = workerData as ScanShare;
parentPort!.postMessage(await probePorts(host, ports, timeoutMs, concurrency));
