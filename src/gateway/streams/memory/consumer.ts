// One subscriber's handle on a memory stream: the shared consumer state and calls
// (credit-consumer.ts); every rule that moves messages lives in MemoryStream.
import { CreditConsumer } from '../credit-consumer.js';
import type { MessageRecord } from './record.js';
import type { MemoryStream } from './stream.js';

export class MemoryConsumer extends CreditConsumer<MessageRecord, MemoryStream> {}
