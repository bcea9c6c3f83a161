package org.liaison.certs;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;

/**
 * Object identifiers of the Liaison project.
 *
 * <p>The project arc is a UUID-based OID under {@code 2.25} (ITU-T X.667 / RFC 4122 section 1.4),
 * which anyone may allocate without registration: {@code 2.25.}decimal value of the UUID
 * {@code 9f582b85-d036-4bd4-ba78-0119a4b056ac}. Below it:
 *
 * <pre>
 *   ARC.1      certificate policies that carry a user's role
 *   ARC.1.1      investigator
 *   ARC.1.2      auditor
 *   ARC.1.3      operator
 *   ARC.2      extended key usages
 *   ARC.2.1      envelope signing (a gateway signs envelopes and receipts)
 *   ARC.2.2      directory signing (the federation operator signs the directory)
 *   ARC.3      certificate policies that carry a person's clearances for protected data
 *   ARC.3.1      minor-involved
 *   ARC.3.2      victim-data
 *   ARC.3.3      witness-protected
 * </pre>
 *
 * <p>A role is carried in one mechanism only: the certificate-policies extension of a personal
 * certificate issued by the authority's national CA.
 */
public final class LiaisonOids {
    /** The project arc, {@code 2.25.211805056198749782180732549752610117292}. */
    public static final ASN1ObjectIdentifier ARC =
            new ASN1ObjectIdentifier("2.25.211805056198749782180732549752610117292");

    public static final ASN1ObjectIdentifier ROLE_POLICIES = ARC.branch("1");
    public static final ASN1ObjectIdentifier ROLE_INVESTIGATOR = ROLE_POLICIES.branch("1");
    public static final ASN1ObjectIdentifier ROLE_AUDITOR = ROLE_POLICIES.branch("2");
    public static final ASN1ObjectIdentifier ROLE_OPERATOR = ROLE_POLICIES.branch("3");

    public static final ASN1ObjectIdentifier KEY_PURPOSES = ARC.branch("2");
    public static final ASN1ObjectIdentifier EKU_ENVELOPE_SIGNING = KEY_PURPOSES.branch("1");
    public static final ASN1ObjectIdentifier EKU_DIRECTORY_SIGNING = KEY_PURPOSES.branch("2");

    public static final ASN1ObjectIdentifier CLEARANCE_POLICIES = ARC.branch("3");
    public static final ASN1ObjectIdentifier CLEARANCE_MINOR_INVOLVED = CLEARANCE_POLICIES.branch("1");
    public static final ASN1ObjectIdentifier CLEARANCE_VICTIM_DATA = CLEARANCE_POLICIES.branch("2");
    public static final ASN1ObjectIdentifier CLEARANCE_WITNESS_PROTECTED = CLEARANCE_POLICIES.branch("3");

    private LiaisonOids() {}
}
