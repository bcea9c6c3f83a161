/**
 * How the node's log lines show text from outside: the Log4j 2 pattern converter {@code %printable{...}}
 * of the text layout and the {@code escaped} resolver of the JSON layout (log4j2.xml), both on the
 * characters {@link org.liaison.protocol.UntrustedText} names. The audit feed is not touched: it carries the
 * exact bytes the audit log hashed.
 */
package org.liaison.gateway.log;
