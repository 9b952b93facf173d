export { connectSocket } from './socket.js';
export { type ClassifiedClose, type CloseDecision, classifyClose } from './socket-close.js';
export { type MessageMatch, matchMessage } from './socket-messages.js';
export type {
  SocketClient,
  SocketEvents,
  SocketOptions,
  SocketReconnectOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './socket-types.js';
