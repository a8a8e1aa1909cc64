/**
 * `next-channels-broadcast/testing`: what an app's own tests need — a recorder to assert "this
 * server action sent X to Y" without a server, and a real gateway on a free port with clients
 * that record what they receive.
 *
 * @example
 * import { installRecorder, startTestGateway } from "next-channels-broadcast/testing";
 */
export { installRecorder, type Recorder, type RecordedSend } from "./recorder.js";
export { startTestGateway, type TestGatewayServer, type TestGatewayOptions, type TestSocket } from "./gateway.js";
